import Foundation
import SwiftTuneCore
import Testing
import TestSupport

/// Tiny random models saved by transformers (Tools/generate_model_fixtures.py) give transformers' numbers.
@Suite("Hugging Face models")
struct PretrainedModelTests {
    struct Expected: Decodable {
        let rows: [[Int]]
        let logits: [[Double]]
        let nll: [Double]
        let prompts: [[Int]]
        let greedy: [[Int]]
    }

    static let names = ["llama-gqa", "llama3-rope", "qwen2-bias-tied-bf16", "qwen3-headdim-sharded"]

    func folder(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/models"))
    }

    func expected(_ name: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: folder(name).appendingPathComponent("expected.json")))
    }

    @Test(arguments: names)
    func logitsAndLossMatchTransformers(_ name: String) throws {
        let model = try CausalLanguageModel<Float>.load(from: folder(name))
        let e = try expected(name)
        for (i, row) in e.rows.enumerated() {
            let logits = try withoutGradients { try model(row, shape: [1, row.count]) }
            let r = allClose(logits.doubles, e.logits[i], rtol: 1e-4, atol: 1e-4)
            #expect(r.ok, "\(name) row \(i) logits: \(r.report)")
            let loss = try withoutGradients { try model.loss(row, labels: row, shape: [1, row.count]) }
            #expect(Swift.abs(Double(loss.item) - e.nll[i]) < 1e-4, "\(name) row \(i) nll: expected \(e.nll[i]), observed \(loss.item)")
        }
    }

    @Test(arguments: names)
    func greedyDecodingWithKVCacheMatchesTransformers(_ name: String) throws {
        let model = try CausalLanguageModel<Float>.load(from: folder(name))
        let e = try expected(name)
        // All prompts at once (rows of different lengths) and each alone give transformers' ids.
        let batched = try model.generate(prompts: e.prompts, maxNewTokens: 8, stopTokens: [])
        #expect(batched == e.greedy, "\(name): batched greedy ids")
        for (prompt, ids) in zip(e.prompts, e.greedy) {
            #expect(try model.generate(prompts: [prompt], maxNewTokens: 8, stopTokens: []) == [ids])
        }
    }

    @Test func configurationAndStorage() throws {
        let qwen2 = try ModelFolder(folder("qwen2-bias-tied-bf16"))
        #expect(qwen2.configuration.architecture == .qwen2)
        #expect(qwen2.configuration.tieWordEmbeddings)
        #expect(qwen2.storageDType == .bfloat16)
        let qwen3 = try ModelFolder(folder("qwen3-headdim-sharded"))
        #expect(qwen3.configuration.headDimension == 16 && qwen3.configuration.hiddenSize / qwen3.configuration.attentionHeads == 12)
        #expect(qwen3.configuration.endOfSequenceTokenIDs == [2])
    }

    @Test func badFoldersGiveNamedErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swifttune-badmodel-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: ModelLoadingError.missingFile(dir.appendingPathComponent("config.json").path)) { try ModelFolder(dir) }
        let source = try folder("llama-gqa")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as! [String: Any]
        config.removeValue(forKey: "hidden_size")
        try JSONSerialization.data(withJSONObject: config).write(to: dir.appendingPathComponent("config.json"))
        do {
            _ = try ModelFolder(dir)
            Issue.record("a config without hidden_size must not load")
        } catch {
            #expect("\(error)".contains("hidden_size") && "\(error)".contains("config.json"), "\(error)")
        }
        // A checkpoint whose tensor has the wrong shape for the configuration.
        config["hidden_size"] = 48
        config["intermediate_size"] = 81
        try JSONSerialization.data(withJSONObject: config).write(to: dir.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"),
                                         to: dir.appendingPathComponent("model.safetensors"))
        do {
            _ = try CausalLanguageModel<Float>.load(from: dir)
            Issue.record("a wrong intermediate_size must not load")
        } catch {
            #expect("\(error)".contains("mlp.gate_proj.weight") && "\(error)".contains("[81, 48]"), "\(error)")
        }
        config["architectures"] = ["GPT2LMHeadModel"]
        try JSONSerialization.data(withJSONObject: config).write(to: dir.appendingPathComponent("config.json"))
        do {
            _ = try ModelFolder(dir)
            Issue.record("an unknown architecture must not load")
        } catch {
            #expect("\(error)".contains("GPT2LMHeadModel"), "\(error)")
        }
    }
}
