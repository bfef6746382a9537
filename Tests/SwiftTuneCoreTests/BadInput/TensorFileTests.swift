import Foundation
import SwiftTuneCore
import Testing

/// The tensors of a model folder are checked against its config.json: missing, mis-shaped and unexpected tensors
/// are named, so a config that says 2 layers never silently loads the first 2 layers of a 3-layer file.
@Suite struct TensorFileTests {
    /// Writes a folder holding the weights of a random model of `weights` with `config` as its config.json, plus
    /// `extra` tensors.
    static func folder(weights: ModelConfiguration, config: ModelConfiguration,
                       extra: [(String, Tensor<Float>)] = []) throws -> URL {
        let dir = try BadInput.folder("tensors")
        let model = CausalLanguageModel<Float>(configuration: weights, seed: 3)
        let entries = (model.exportedWeights() + extra).map { SafetensorsWriter.Entry(name: $0.0, tensor: $0.1) }
        try SafetensorsWriter.write(entries, metadata: ["format": "pt"], to: dir.appendingPathComponent("model.safetensors"))
        try JSONEncoder().encode(config).write(to: dir.appendingPathComponent("config.json"))
        return dir
    }

    @Test func extraLayersAreNamed() throws {
        let dir = try Self.folder(weights: BadInput.configuration(layers: 3), config: BadInput.configuration(layers: 2))
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = BadInput.error("a 3-layer file under a 2-layer config") { _ = try CausalLanguageModel<Float>.load(from: dir) }
        guard case let .unexpectedTensors(file, names, count, _)? = error as? ModelLoadingError else {
            Issue.record("\(String(describing: error))")
            return
        }
        #expect(file == dir.appendingPathComponent("model.safetensors").path)
        #expect(count == 9 && names.allSatisfy { $0.hasPrefix("model.layers.2.") }, "\(names)")
        #expect("\(error!)".contains("num_hidden_layers = 2, but the weights have layers up to 2"), "\(error!)")
        // The NF4-while-loading path checks the same way, before reading any layer.
        let quantizing = BadInput.error("quantizing load") { _ = try ModelFolder(dir).load(quantizingProjectionsToNF4: true) }
        #expect(quantizing as? ModelLoadingError == error as? ModelLoadingError)
    }

    @Test func missingLayersAreNamed() throws {
        let dir = try Self.folder(weights: BadInput.configuration(layers: 2), config: BadInput.configuration(layers: 3))
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = BadInput.error("a 2-layer file under a 3-layer config") { _ = try CausalLanguageModel<Float>.load(from: dir) }
        #expect(error as? ModelLoadingError == .missingTensor(file: dir.appendingPathComponent("model.safetensors").path,
                                                               name: "model.layers.2.input_layernorm.weight"))
    }

    @Test func unknownTensorsAreNamedAndHarmlessOnesTolerated() throws {
        let c = BadInput.configuration()
        let harmless: [(String, Tensor<Float>)] = [
            ("model.layers.0.self_attn.rotary_emb.inv_freq", .zeros([2])),
            ("lm_head.weight", .zeros([32, 16])),   // beside tied embeddings: transformers ties it away
        ]
        let ok = try Self.folder(weights: c, config: c, extra: harmless)
        defer { try? FileManager.default.removeItem(at: ok) }
        #expect(try CausalLanguageModel<Float>.load(from: ok).layers.count == 2)

        let bad = try Self.folder(weights: c, config: c, extra: [("model.layers.1.mlp.extra_proj.weight", .zeros([4, 4]))])
        defer { try? FileManager.default.removeItem(at: bad) }
        let error = BadInput.error("an unknown tensor") { _ = try CausalLanguageModel<Float>.load(from: bad) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("'model.layers.1.mlp.extra_proj.weight'"), "\(String(describing: error))")
        #expect("\(error.map { "\($0)" } ?? "")".contains("has no such parameters"), "\(String(describing: error))")

        // An untied config does not tolerate a stray lm_head: it reads it.
        let untied = try Self.folder(weights: BadInput.configuration(tied: true), config: BadInput.configuration(tied: false))
        defer { try? FileManager.default.removeItem(at: untied) }
        #expect(throws: ModelLoadingError.missingTensor(file: untied.appendingPathComponent("model.safetensors").path,
                                                        name: "lm_head.weight")) {
            _ = try CausalLanguageModel<Float>.load(from: untied)
        }
    }

    @Test func wrongShapesAreNamed() throws {
        var narrow = BadInput.configuration()
        narrow.intermediateSize = 20
        let dir = try Self.folder(weights: BadInput.configuration(), config: narrow)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: ModelLoadingError.shapeMismatch(file: dir.appendingPathComponent("model.safetensors").path,
                                                        name: "model.layers.0.mlp.gate_proj.weight",
                                                        expected: [20, 16], actual: [24, 16])) {
            _ = try CausalLanguageModel<Float>.load(from: dir)
        }
    }
}
