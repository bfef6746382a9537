import Foundation
import SwiftTuneCore
import Testing

/// Adapter settings and PEFT folders that do not fit the base model are refused naming the file and key, before
/// the model is changed.
@Suite struct AdapterFolderTests {
    /// A rank above min(in, out) is no low-rank update: it only makes training slow and checkpoints huge.
    @Test func rankAboveTheLayerDimensionsIsRefused() throws {
        let model = CausalLanguageModel<Float>(configuration: BadInput.configuration(), seed: 2)   // k/v: 16 → 8
        let error = BadInput.error("rank 100000") {
            try model.applyLoRA(LoRAConfiguration(rank: 100_000, alpha: 16, targetModules: .allLinear), seed: 0)
        }
        guard case let .invalidValue(file, key, value, reason)? = error as? LoRAError else {
            Issue.record("\(String(describing: error))")
            return
        }
        #expect(file == "" && key == "r" && value == "100000")
        #expect(reason == "exceeds min(in, out) = 16 of model.layers.0.self_attn.q_proj (16 → 16)", "\(reason)")
        #expect(model.loraAdapters.isEmpty && model.trainableParameters.count == model.parameters.count)   // unchanged
        // 9 fits q (16 → 16) but not k (16 → 8).
        #expect(throws: LoRAError.invalidValue(file: "", key: "r", value: "9",
                                               reason: "exceeds min(in, out) = 8 of model.layers.0.self_attn.k_proj (16 → 8)")) {
            try model.applyLoRA(LoRAConfiguration(rank: 9, targetModules: .allLinear), seed: 0)
        }
        #expect(try model.applyLoRA(LoRAConfiguration(rank: 8, targetModules: .allLinear), seed: 0).count == 14)
    }

    @Test func alphaAndLayerIndicesAreChecked() throws {
        for alpha in [Double.nan, .infinity, 0, -4] {
            #expect(throws: LoRAError.self, "alpha \(alpha)") { try LoRAConfiguration(rank: 4, alpha: alpha).validate() }
        }
        let model = CausalLanguageModel<Float>(configuration: BadInput.configuration(), seed: 2)
        #expect(throws: LoRAError.invalidValue(file: "", key: "layers_to_transform", value: "5",
                                               reason: "the model has layers 0..<2")) {
            try model.applyLoRA(LoRAConfiguration(rank: 4, layersToTransform: [0, 5]), seed: 0)
        }
    }

    /// The same checks reach a PEFT folder's adapter_config.json, attributed to the file.
    @Test func adapterFolderNamesItsConfigurationFile() throws {
        let model = CausalLanguageModel<Float>(configuration: BadInput.configuration(), seed: 2)
        let dir = try BadInput.folder("adapter")
        defer { try? FileManager.default.removeItem(at: dir) }
        let configuration = LoRAConfiguration(rank: 4, alpha: 8, targetModules: .names(["q_proj"]))
        try model.applyLoRA(configuration, seed: 0)
        try model.saveLoRAAdapter(configuration, to: dir)
        let url = dir.appendingPathComponent(PEFTAdapterFolder.configurationFileName)
        var json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        json["layers_to_transform"] = [7]
        try BadInput.writeJSON(json, to: url)
        let fresh = CausalLanguageModel<Float>(configuration: BadInput.configuration(), seed: 2)
        #expect(throws: LoRAError.invalidValue(file: url.path, key: "layers_to_transform", value: "7",
                                               reason: "the model has layers 0..<2")) {
            try fresh.loadLoRAAdapter(from: dir)
        }
        json["layers_to_transform"] = nil
        json["lora_alpha"] = -1
        try BadInput.writeJSON(json, to: url)
        #expect(throws: LoRAError.invalidValue(file: url.path, key: "lora_alpha", value: "-1.0", reason: "must be a finite number > 0")) {
            try fresh.loadLoRAAdapter(from: dir)
        }
        #expect(fresh.loraAdapters.isEmpty)
    }
}
