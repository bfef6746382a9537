import Foundation
import SwiftTuneCore
import Testing

/// config.json values that cannot describe a buildable model are refused when the folder is opened, with the file,
/// the field and the value named.
@Suite struct ConfigFileTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let field: String
        /// The field's new value as JSON text.
        let value: String
        let expected: String
        var testDescription: String { "\(field) = \(value)" }
    }

    static let cases: [Case] = [
        Case(field: "num_attention_heads", value: "0", expected: "'num_attention_heads' = 0: must be a positive integer"),
        Case(field: "hidden_size", value: "-8", expected: "'hidden_size' = -8: must be a positive integer"),
        Case(field: "vocab_size", value: "0", expected: "'vocab_size' = 0"),
        Case(field: "intermediate_size", value: "0", expected: "'intermediate_size' = 0"),
        Case(field: "num_hidden_layers", value: "0", expected: "'num_hidden_layers' = 0"),
        Case(field: "max_position_embeddings", value: "-1", expected: "'max_position_embeddings' = -1"),
        Case(field: "num_key_value_heads", value: "3", expected: "'num_key_value_heads' = 3: must divide 'num_attention_heads' = 4"),
        Case(field: "head_dim", value: "0", expected: "'head_dim' = 0: must be a positive integer"),
        Case(field: "rms_norm_eps", value: "-1", expected: "'rms_norm_eps' = -1.0: must be a finite number > 0"),
        Case(field: "rms_norm_eps", value: "0", expected: "'rms_norm_eps' = 0.0"),
        Case(field: "rope_theta", value: "0", expected: "'rope_theta' = 0.0: must be a finite number > 0"),
        Case(field: "partial_rotary_factor", value: "1.5", expected: "'partial_rotary_factor' = 1.5: must be in (0, 1]"),
        Case(field: "sliding_window", value: "-4", expected: "'sliding_window' = -4"),
        // Not computed by any supported architecture: refused rather than silently run as SiLU.
        Case(field: "hidden_act", value: "\"gelu\"", expected: "'hidden_act' = \"gelu\": SwiftTune computes silu (swish) only"),
    ]

    @Test(arguments: cases) func badFieldIsNamed(_ c: Case) throws {
        let dir = try BadInput.folder("config")
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = try BadInput.configObject()
        config[c.field] = try JSONSerialization.jsonObject(with: Data(c.value.utf8), options: .fragmentsAllowed)
        if c.field == "sliding_window" { config["use_sliding_window"] = true }
        let url = dir.appendingPathComponent("config.json")
        try BadInput.writeJSON(config, to: url)
        let error = BadInput.error(c.testDescription) { _ = try ModelFolder(dir) }
        #expect(error is ModelConfigurationError, "\(String(describing: error))")
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.hasPrefix(url.path + ": "), "\(message)")
        #expect(message.contains(c.expected), "\(message)")
    }

    /// Without `head_dim`, the heads must divide the width (no silent truncation of C / H).
    @Test func headsThatDoNotDivideTheWidth() throws {
        var config = try BadInput.configObject()
        config["num_attention_heads"] = 3
        config["num_key_value_heads"] = 3
        config.removeValue(forKey: "head_dim")
        let data = try JSONSerialization.data(withJSONObject: config)
        #expect(throws: ModelConfigurationError.invalidValue(file: "m/config.json", field: "num_attention_heads", value: "3",
                                                             requirement: "must divide 'hidden_size' = 16 (or give 'head_dim')")) {
            _ = try ModelConfiguration.decode(data, file: "m/config.json")
        }
        config["head_dim"] = 8   // Qwen3-style: explicit head_dim, H · D ≠ C, is fine
        let c = try ModelConfiguration.decode(try JSONSerialization.data(withJSONObject: config), file: "m/config.json")
        #expect(c.headDimension == 8 && c.attentionHeads == 3)
    }

    @Test func ropeScalingFactorsAreChecked() throws {
        let bad: [([String: Any], String)] = [
            (["rope_type": "linear", "factor": 0], "'rope_scaling.factor' = 0.0"),
            (["rope_type": "llama3", "factor": 8, "low_freq_factor": 4, "high_freq_factor": 1,
              "original_max_position_embeddings": 8], "'rope_scaling.high_freq_factor' = 1.0: must be a finite number > 'low_freq_factor' = 4.0"),
            (["rope_type": "llama3", "factor": 8, "low_freq_factor": 1, "high_freq_factor": 4,
              "original_max_position_embeddings": 0], "'rope_scaling.original_max_position_embeddings' = 0"),
        ]
        for (scaling, expected) in bad {
            var config = try BadInput.configObject()
            config["rope_scaling"] = scaling
            let data = try JSONSerialization.data(withJSONObject: config)
            let error = BadInput.error("\(scaling)") { _ = try ModelConfiguration.decode(data, file: "x/config.json") }
            #expect(error is ModelConfigurationError)
            #expect("\(error.map { "\($0)" } ?? "")".hasPrefix("x/config.json: " + expected), "\(String(describing: error))")
        }
    }

    /// 10¹² layers (or a width whose square overflows) is refused by size, before any allocation.
    @Test func sizesBeyondPhysicalMemoryAreRefused() throws {
        for (field, value) in [("num_hidden_layers", 1_000_000_000_000), ("hidden_size", 1 << 62),
                               ("max_position_embeddings", 1_000_000_000_000_000)] {
            var config = try BadInput.configObject()
            config[field] = value
            if field == "hidden_size" { config["head_dim"] = 4 }
            let data = try JSONSerialization.data(withJSONObject: config)
            let error = BadInput.error(field) { _ = try ModelConfiguration.decode(data, file: "big/config.json") }
            guard case let .exceedsMemory(file, fields, _, memory)? = error as? ModelConfigurationError else {
                Issue.record("\(field): \(String(describing: error))")
                continue
            }
            #expect(file == "big/config.json" && fields.contains("\(field) \(value)") && memory > 0)
            #expect("\(error!)".contains("physical memory"), "\(error!)")
        }
    }

    /// A configuration built in code is checked by the same rules.
    @Test func validateChecksConfigurationsBuiltInCode() throws {
        var c = BadInput.configuration()
        try c.validate()
        c.attentionHeads = 0
        #expect(throws: ModelConfigurationError.self) { try c.validate(file: "code") }
        let zeroHeads = ModelConfiguration(vocabularySize: 8, hiddenSize: 8, intermediateSize: 8, layerCount: 1, attentionHeads: 0)
        #expect(zeroHeads.headDimension == 0)   // no division by zero on construction
        #expect(throws: ModelConfigurationError.self) { try zeroHeads.validate() }
        var negativeEpsilon = BadInput.configuration()
        negativeEpsilon.rmsNormEpsilon = -1   // would give NaN logits
        #expect(throws: ModelConfigurationError.invalidValue(file: "configuration", field: "rms_norm_eps", value: "-1.0",
                                                             requirement: "must be a finite number > 0")) {
            _ = try CausalLanguageModel<Float>(configuration: negativeEpsilon, weights: RandomWeights(seed: 0))
        }
    }
}
