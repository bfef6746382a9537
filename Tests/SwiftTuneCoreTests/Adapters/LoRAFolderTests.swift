import Foundation
import SwiftTuneCore
import Testing
import TestSupport

/// PEFT adapter folders: what SwiftTune writes has PEFT's names and fields and reads back; bad folders give errors
/// naming the file and key.
@Suite("LoRA adapter folders")
struct LoRAFolderTests {
    static let configurations: [(String, LoRAConfiguration)] = [
        ("lora", LoRAConfiguration(rank: 4, alpha: 8)),
        ("rslora", LoRAConfiguration(rank: 4, alpha: 8, useRSLoRA: true)),
        ("dora", LoRAConfiguration(rank: 4, alpha: 8, useDoRA: true)),
    ]

    @Test(arguments: [0, 1, 2])
    func savedFolderRoundTripsWithPEFTNames(_ which: Int) throws {
        let (variant, configuration) = Self.configurations[which]
        var config = configuration
        config.baseModelNameOrPath = "llama-gqa"
        let model = try LoRAFixtures.baseModel()
        let adapters = try model.applyLoRA(config, seed: 3)
        LoRAFixtures.perturb(adapters, seed: 4)
        let dir = try LoRAFixtures.temporaryDirectory("lora-save")
        defer { try? FileManager.default.removeItem(at: dir) }
        try model.saveLoRAAdapter(config, to: dir)

        // Exactly PEFT's tensor keys, shapes and dtype (compared with the folder PEFT saved for this variant).
        let ours = try SafetensorsFile(contentsOf: dir.appendingPathComponent("adapter_model.safetensors"))
        let peft = try SafetensorsFile(contentsOf: LoRAFixtures.folder(variant).appendingPathComponent("adapter_model.safetensors"))
        #expect(Set(ours.tensorNames) == Set(peft.tensorNames))
        for name in peft.tensorNames where ours.contains(name) {
            #expect(try ours.info(name).shape == peft.info(name).shape, "\(name)")
            #expect(try ours.info(name).dtype == .float32, "\(name)")
        }
        #expect(ours.metadata == ["format": "pt"])
        // PEFT's configuration fields and values.
        let json = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: dir.appendingPathComponent("adapter_config.json"))) as? [String: Any])
        #expect(json["peft_type"] as? String == "LORA" && json["task_type"] as? String == "CAUSAL_LM")
        #expect(json["r"] as? Int == 4 && json["lora_alpha"] as? Int == 8 && json["bias"] as? String == "none")
        #expect(json["target_modules"] as? String == "all-linear" && json["init_lora_weights"] as? Bool == true)
        #expect(json["use_dora"] as? Bool == (variant == "dora") && json["use_rslora"] as? Bool == (variant == "rslora"))
        #expect(json["fan_in_fan_out"] as? Bool == false && json["base_model_name_or_path"] as? String == "llama-gqa")
        #expect(json.keys.contains("modules_to_save") && json["modules_to_save"] is NSNull)
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["adapter_config.json", "adapter_model.safetensors"])

        // A fresh model with the folder computes what the saving model computes.
        let expected = try LoRAFixtures.expected(variant)
        let batch = try LoRAFixtures.batch(expected)
        let before = try withoutGradients { try model(batch.ids, shape: batch.shape) }
        let fresh = try LoRAFixtures.baseModel()
        let loaded = try fresh.loadLoRAAdapter(from: dir)
        #expect(try PEFTAdapterFolder.readConfiguration(in: dir) == config)
        for (a, b) in zip(adapters, loaded) {
            for (p, q) in zip(a.adapterParameters, b.adapterParameters) {
                #expect(p.path == q.path && p.value == q.value, "\(p.path)")
            }
        }
        let after = try withoutGradients { try fresh(batch.ids, shape: batch.shape) }
        #expect(after == before)
        let base = withoutGradients { try! LoRAFixtures.baseModel()(batch.ids, shape: batch.shape) }
        #expect(maxAbsoluteDifference(after.scalars, base.scalars).value > 1e-3, "the adapter must change the logits")

        // For Tools/generate_lora_fixtures.py --verify: the folder and SwiftTune's logits, where asked.
        if let export = ProcessInfo.processInfo.environment["SWIFTTUNE_LORA_EXPORT_DIR"] {
            let target = URL(fileURLWithPath: export).appendingPathComponent(variant)
            try model.saveLoRAAdapter(config, to: target)
            try SafetensorsWriter.write(["logits": before], to: target.appendingPathComponent("swifttune_expected.safetensors"))
        }
    }

    @Test func targetsAndLayersFollowPEFTRules() throws {
        let model = try LoRAFixtures.baseModel()
        var config = LoRAConfiguration(rank: 2, alpha: 4, targetModules: .names(["q_proj", "model.layers.1.mlp.down_proj"]))
        config.layersToTransform = [1]
        let adapters = try model.applyLoRA(config, seed: 1)
        #expect(adapters.map(\.path) == ["model.layers.1.self_attn.q_proj", "model.layers.1.mlp.down_proj"])
        #expect(model.trainableParameters.map(\.path) == adapters.flatMap(\.adapterParameters).map(\.path))
        #expect(model.trainableParameters.count == 4)
        #expect(model.lmHead.map { !($0.weight.isTrainable) } == true)
        #expect(throws: LoRAError.alreadyAdapted(module: "model.layers.1.self_attn.q_proj")) {
            try model.applyLoRA(config, seed: 1)
        }
        let other = try LoRAFixtures.baseModel()
        let regex = try other.applyLoRA(LoRAConfiguration(rank: 2, targetModules: .pattern(#".*\.(k|v)_proj"#)), seed: 1)
        #expect(regex.map(\.path) == ["model.layers.0.self_attn.k_proj", "model.layers.0.self_attn.v_proj",
                                      "model.layers.1.self_attn.k_proj", "model.layers.1.self_attn.v_proj"])
        #expect(throws: LoRAError.noTargetModules(file: "", targetModules: #"["lm_head"]"#)) {
            try LoRAFixtures.baseModel().applyLoRA(LoRAConfiguration(targetModules: .names(["lm_head"])), seed: 1)
        }
    }

    /// Copies a fixture folder to a temporary one and edits its configuration.
    func editedFolder(_ variant: String, _ edit: (inout [String: Any]) -> Void) throws -> URL {
        let dir = try LoRAFixtures.temporaryDirectory("lora-bad")
        let source = try LoRAFixtures.folder(variant)
        for name in ["adapter_config.json", "adapter_model.safetensors"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        let url = dir.appendingPathComponent("adapter_config.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        return dir
    }

    @Test func unsupportedConfigurationsNameFileAndKey() throws {
        let cases: [(String, Any, String)] = [("bias", "all", #""all""#), ("peft_type", "IA3", #""IA3""#),
                                              ("fan_in_fan_out", true, "true"), ("init_lora_weights", "olora", #""olora""#),
                                              ("modules_to_save", ["lm_head"], #"["lm_head"]"#)]
        for (key, value, shown) in cases {
            let dir = try editedFolder("lora") { $0[key] = value }
            defer { try? FileManager.default.removeItem(at: dir) }
            let file = dir.appendingPathComponent("adapter_config.json").path
            do {
                try LoRAFixtures.baseModel().loadLoRAAdapter(from: dir)
                Issue.record("\(key) = \(value) must not load")
            } catch let error as LoRAError {
                guard case let .unsupportedValue(f, k, v, _) = error else { Issue.record("\(error)"); continue }
                #expect(f == file && k == key && v == shown, "\(error)")
            }
        }
        let dir = try editedFolder("lora") { $0["r"] = 0 }
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: LoRAError.invalidValue(file: dir.appendingPathComponent("adapter_config.json").path, key: "r",
                                               value: "0", reason: "must be positive")) {
            try LoRAFixtures.baseModel().loadLoRAAdapter(from: dir)
        }
    }

    @Test func missingMismatchedAndExtraTensorsNameFileAndKey() throws {
        // r = 8 in the configuration, r = 4 in the weights.
        let wrongRank = try editedFolder("lora") { $0["r"] = 8 }
        defer { try? FileManager.default.removeItem(at: wrongRank) }
        let weights = wrongRank.appendingPathComponent("adapter_model.safetensors").path
        let model = try LoRAFixtures.baseModel()
        #expect(throws: LoRAError.shapeMismatch(file: weights, key: "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
                                                expected: [8, 48], actual: [4, 48])) {
            try model.loadLoRAAdapter(from: wrongRank)
        }
        #expect(model.loraAdapters.isEmpty, "a failed load must leave the model unchanged")
        #expect(model.trainableParameters.count == model.parameters.count)
        // A DoRA configuration over LoRA weights: the magnitude is missing.
        let noMagnitude = try editedFolder("lora") { $0["use_dora"] = true }
        defer { try? FileManager.default.removeItem(at: noMagnitude) }
        #expect(throws: LoRAError.missingTensor(file: noMagnitude.appendingPathComponent("adapter_model.safetensors").path,
                                                key: "base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector")) {
            try LoRAFixtures.baseModel().loadLoRAAdapter(from: noMagnitude)
        }
        // Fewer targets than the weights hold.
        let fewer = try editedFolder("lora") { $0["target_modules"] = ["q_proj"] }
        defer { try? FileManager.default.removeItem(at: fewer) }
        do {
            try LoRAFixtures.baseModel().loadLoRAAdapter(from: fewer)
            Issue.record("unused tensors must not load")
        } catch let LoRAError.unexpectedTensor(file, key) {
            #expect(file.hasSuffix("adapter_model.safetensors") && !key.contains("q_proj"), "\(file) \(key)")
        }
        let empty = try LoRAFixtures.temporaryDirectory("lora-empty")
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: LoRAError.missingFile(empty.appendingPathComponent("adapter_config.json").path)) {
            try LoRAFixtures.baseModel().loadLoRAAdapter(from: empty)
        }
    }

    @Test func configurationJSONRoundTrips() throws {
        var c = LoRAConfiguration(rank: 16, alpha: 32.5, dropout: 0.05, targetModules: .names(["q_proj", "v_proj"]),
                                  useRSLoRA: true, useDoRA: true, initialization: .gaussian, layersToTransform: [0, 3])
        c.revision = "main"
        let decoded = try JSONDecoder().decode(LoRAConfiguration.self, from: JSONEncoder().encode(c))
        #expect(decoded == c)
        for initialization in [LoRAConfiguration.Initialization.kaimingUniform, .gaussian, .pissa, .linearDefault] {
            c.initialization = initialization
            #expect(try JSONDecoder().decode(LoRAConfiguration.self, from: JSONEncoder().encode(c)).initialization == initialization)
        }
        // PEFT also allows a single layer index.
        let one = try JSONDecoder().decode(LoRAConfiguration.self, from: Data(#"{"layers_to_transform": 2, "unknown_key": {"a": 1}}"#.utf8))
        #expect(one.layersToTransform == [2] && one.targetModules == .allLinear)
    }
}
