import Foundation
import SwiftTuneCore
import Testing
@testable import swifttune

/// `swifttune init` refuses a config.json that cannot describe a model, naming the option, the file and the field —
/// never a division by zero or a fatal allocation.
@Suite struct InitCommandTests {
    static let tokenizer = repositoryPath("Tests/SwiftTuneCoreTests/Fixtures/tokenizers/qwen2")

    func run(config: [String: Any], tokenizer: String = InitCommandTests.tokenizer) throws -> (Error?, String, URL) {
        let dir = try temporaryFolder("init")
        let configPath = dir.appendingPathComponent("config.json").path
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath))
        let output = dir.appendingPathComponent("model")
        let command = try #require(parse(["init", "--model-config", configPath, "--tokenizer", tokenizer,
                                          "--output", output.path, "--dtype", "F32"]).command as? InitCommand)
        do {
            try command.run()
            return (nil, configPath, output)
        } catch {
            return (error, configPath, output)
        }
    }

    static let base: [String: Any] = [
        "architectures": ["LlamaForCausalLM"], "vocab_size": 1024, "hidden_size": 16, "intermediate_size": 32,
        "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 32,
    ]

    @Test(arguments: [("num_attention_heads", 0, "'num_attention_heads' = 0: must be a positive integer"),
                      ("hidden_size", -16, "'hidden_size' = -16: must be a positive integer"),
                      ("num_attention_heads", 3, "'num_attention_heads' = 3: must divide 'hidden_size' = 16"),
                      ("num_key_value_heads", 3, "'num_key_value_heads' = 3: must divide 'num_attention_heads' = 4"),
                      ("num_hidden_layers", 1_000_000_000_000, "physical memory")])
    func badConfigurationIsNamed(field: String, value: Int, expected: String) throws {
        var config = Self.base
        config[field] = value
        let (error, path, output) = try run(config: config)
        defer { try? FileManager.default.removeItem(at: output.deletingLastPathComponent()) }
        let message = "\(error.map { "\($0)" } ?? "no error")"
        #expect(message.hasPrefix("--model-config \(path): "), "\(message)")
        #expect(message.contains(expected), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }

    @Test func goodConfigurationWritesALoadableFolder() throws {
        let (error, _, output) = try run(config: Self.base)
        defer { try? FileManager.default.removeItem(at: output.deletingLastPathComponent()) }
        #expect(error == nil, "\(String(describing: error))")
        let model = try CausalLanguageModel<Float>.load(from: output)
        #expect(model.configuration.hiddenSize == 16 && model.layers.count == 1)
        let (missing, _, other) = try run(config: Self.base, tokenizer: "/nonexistent-tokenizer")
        defer { try? FileManager.default.removeItem(at: other.deletingLastPathComponent()) }
        #expect("\(missing.map { "\($0)" } ?? "")".hasPrefix("--tokenizer /nonexistent-tokenizer"), "\(String(describing: missing))")
    }

    /// The tokenizer copied into the model must load and fit the embedding table (both were copied unchecked).
    @Test func tokenizerIsCheckedAgainstTheConfiguration() throws {
        var small = Self.base
        small["vocab_size"] = 64
        let (error, path, output) = try run(config: small)
        defer { try? FileManager.default.removeItem(at: output.deletingLastPathComponent()) }
        let message = "\(error.map { "\($0)" } ?? "no error")"
        #expect(message.hasPrefix("--model-config \(path): 'vocab_size' = 64 is smaller than the 964 tokens"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: output.path))

        let broken = try temporaryFolder("init-tokenizer")
        defer { try? FileManager.default.removeItem(at: broken) }
        try Data("{\"model\": ".utf8).write(to: broken.appendingPathComponent("tokenizer.json"))
        let (bad, _, other) = try run(config: Self.base, tokenizer: broken.path)
        defer { try? FileManager.default.removeItem(at: other.deletingLastPathComponent()) }
        let text = "\(bad.map { "\($0)" } ?? "no error")"
        #expect(text.hasPrefix("--tokenizer \(broken.path)/tokenizer.json: invalid JSON"), "\(text)")
        #expect(!FileManager.default.fileExists(atPath: other.path))
    }
}
