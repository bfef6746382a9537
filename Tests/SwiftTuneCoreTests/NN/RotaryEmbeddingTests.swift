import Foundation
import SwiftTuneCore
import Testing
import TestSupport

@Suite("RoPE scaling against transformers")
struct RotaryEmbeddingTests {
    func configuration(_ rope: String) throws -> ModelConfiguration {
        let json = """
        {"architectures": ["LlamaForCausalLM"], "vocab_size": 10, "hidden_size": 256, "intermediate_size": 8,
         "num_hidden_layers": 1, "num_attention_heads": 4, "head_dim": 64, "max_position_embeddings": 16384,
         \(rope)}
        """
        return try JSONDecoder().decode(ModelConfiguration.self, from: Data(json.utf8))
    }

    @Test(arguments: [
        ("default", #""rope_theta": 10000.0"#),
        ("linear", #""rope_scaling": {"type": "linear", "factor": 4.0}, "rope_theta": 10000.0"#),
        ("llama3", #""rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}"#),
    ])
    func tablesMatchTransformers(_ name: String, _ rope: String) throws {
        let f = try Fixture.load(name, subfolder: "rope", bundle: .module)
        let config = try configuration(rope)
        let table = RotaryEmbedding<Float>(configuration: config)
        let inv = config.ropeScaling.inverseFrequencies(rotaryDimension: 64, theta: config.ropeTheta)
        let invCheck = allClose(inv, try f.values("inv_freq"), rtol: 1e-7, atol: 0)
        #expect(invCheck.ok, "inv_freq: \(invCheck.report)")
        let positions = try f.integers("positions")
        let cos = table.cosTable.indexSelect(axis: 0, indices: positions)
        let sin = table.sinTable.indexSelect(axis: 0, indices: positions)
        let c = allClose(cos.doubles, try f.values("cos"), rtol: 0, atol: 2e-6)
        let s = allClose(sin.doubles, try f.values("sin"), rtol: 0, atol: 2e-6)
        #expect(c.ok, "cos: \(c.report)")
        #expect(s.ok, "sin: \(s.report)")
    }

    @Test func unknownScalingIsANamedError() throws {
        do {
            _ = try configuration(#""rope_scaling": {"rope_type": "yarn", "factor": 4.0}"#)
            Issue.record("expected an error for rope type yarn")
        } catch {
            #expect("\(error)".contains("yarn"), "error should name the type: \(error)")
        }
        do {
            _ = try configuration(#""rope_scaling": {"rope_type": "llama3", "factor": 8.0}"#)
            Issue.record("expected an error for an incomplete llama3 block")
        } catch {
            #expect("\(error)".contains("low_freq_factor"), "error should name the missing key: \(error)")
        }
    }

    @Test func partialRotaryAndPackedPositions() throws {
        var config = try configuration(#""rope_theta": 10000.0, "partial_rotary_factor": 0.5"#)
        #expect(config.partialRotaryFactor == 0.5)
        let table = RotaryEmbedding<Float>(configuration: config, maxPositions: 8)
        #expect(table.rotaryDimension == 32)
        config.partialRotaryFactor = 1
        let layout = try AttentionLayout(segmentLengths: [[3, 2], [4]], length: 5)
        #expect(layout.positions == [0, 1, 2, 0, 1, 0, 1, 2, 3, 0])
        #expect(layout.segmentIDs == [0, 0, 0, 1, 1, 0, 0, 0, 0, -1])
        #expect(throws: AttentionLayoutError.rowOverflow(row: 0, tokens: 6, length: 5)) {
            try AttentionLayout(segmentLengths: [[3, 3]], length: 5)
        }
    }
}
