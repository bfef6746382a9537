import Foundation
import SwiftTuneCore
@testable import SwiftTuneServer

/// Real engines on the embedded model, and two LoRA adapters for it made once per test process (random A and B,
/// so each changes the output), saved as PEFT folders.
enum EngineFixtures {
    static let adapters: [(name: String, folder: URL)] = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("swifttune-server-adapters-\(getpid())")
        var out: [(name: String, folder: URL)] = []
        for (name, seed) in [("alpha", UInt64(11)), ("beta", UInt64(12))] {
            let folder = root.appendingPathComponent(name)
            do {
                let model = try ModelFolder(Embedded.modelFolder).load(Float.self)
                let configuration = LoRAConfiguration(rank: 4, alpha: 16, initialization: .linearDefault)
                _ = try model.applyLoRA(configuration, seed: seed)
                try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
                try model.saveLoRAAdapter(configuration, to: folder)
            } catch { fatalError("cannot make the test adapter \(name): \(error)") }
            out.append((name, folder))
        }
        return out
    }()

    static let models = ServedModels(baseName: "tiny", basePath: Embedded.modelFolder.path,
                                     adapters: adapters.map { .init(name: $0.name, path: $0.folder.path) })

    static func engine(maxBatchSize: Int = 8, maxQueue: Int = 16, withAdapters: Bool = true) throws -> BatchingEngine {
        let adapters = withAdapters ? self.adapters : []
        return try BatchingEngine(configuration: .init(maxBatchSize: maxBatchSize, maxQueue: maxQueue),
                                  tokenizer: Embedded.tokenizer) {
            let model = try ModelFolder(Embedded.modelFolder).load(Float.self)
            return BatchingEngine.LoadedModel(model: model,
                                              adapters: adapters.isEmpty ? nil : try AdapterBank(model: model, adapters: adapters))
        }
    }

    static func server(_ engine: some InferenceEngine, port: Int = 0) -> OpenAIServer {
        OpenAIServer(configuration: ServerConfiguration(port: port, models: models), engine: engine,
                     prompts: PromptBuilder(tokenizer: Embedded.tokenizer))
    }
}
