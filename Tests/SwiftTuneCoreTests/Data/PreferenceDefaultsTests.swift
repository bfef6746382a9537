import Foundation
@testable import SwiftTuneCore
import Testing

/// The whole data path on the embedded defaults: translation rows turned into pairs (chosen = the reference
/// translation, rejected = its words reversed), encoded with the default model's template, batched, and scored by
/// the policy and by its reference with the adapters off.
@Suite("Preference data on the embedded defaults")
struct PreferenceDefaultsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The first `count` training rows as `rejected_response` pairs, written to a temporary JSONL file.
    static func pairFile(count: Int) throws -> URL {
        let train = try String(contentsOf: root.appendingPathComponent("Defaults/data/train.jsonl"), encoding: .utf8)
        let lines = try train.split(separator: "\n").prefix(count).map { line -> String in
            var object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let messages = try #require(object["messages"] as? [[String: Any]])
            let reply = try #require(messages.last?["content"] as? String)
            object["rejected_response"] = reply.split(separator: " ").reversed().joined(separator: " ") + " x"
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swifttune-pref-defaults-\(UUID().uuidString).jsonl")
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func translationPairsEncodeBatchAndScore() throws {
        let url = try Self.pairFile(count: 6)
        defer { try? FileManager.default.removeItem(at: url) }
        let modelFolder = Self.root.appendingPathComponent("Defaults/model")
        let tokenizer = try Tokenizer(directory: modelFolder)
        let sft = SampleEncoder(tokenizer: tokenizer, scope: .assistantTokens, maxLength: 64)
        let dataset = try PreferenceDataset(contentsOf: url, kind: .paired)
        let model = try CausalLanguageModel<Float>.load(from: modelFolder)
        let encoded = try PreferenceEncoder(sft).encodePairs(dataset, vocabularySize: model.configuration.vocabularySize)
        #expect(encoded.items.map(\.line) == Array(1...6) && encoded.dropped.total == 0)

        // The chosen half is exactly the SFT sample of the row.
        let sftRows = try JSONLDataset(contentsOf: Self.root.appendingPathComponent("Defaults/data/train.jsonl")).rows.prefix(6)
        for ((_, pair), (_, row)) in zip(encoded.items, sftRows) { #expect(try pair.chosen == sft.encode(row)) }

        try model.applyLoRA(LoRAConfiguration(rank: 4, alpha: 8, targetModules: .allLinear), seed: 3)
        var generator = RandomGenerator(seed: 9)
        for adapter in model.loraAdapters {
            adapter.loraB.assign(.randomNormal(adapter.loraB.shape, standardDeviation: 0.5, generator: &generator))
        }
        model.setLoRATraining(false)
        let batch = try PreferenceBatch.padded(encoded.items.map(\.item), padID: tokenizer.padTokenID ?? 0)
        #expect(batch.batch.shape[0] == 12)
        let policy = try model.tokenLogProbabilities(batch.batch.ids, labels: batch.batch.labels, shape: batch.batch.shape,
                                                     layout: batch.batch.layout)
        #expect(policy.requiresGradient)
        let reference = try ReferencePolicy.adaptersDisabled(model).tokenLogProbabilities(batch.batch)
        let base = try ReferencePolicy<Float>.frozen(modelFolder: modelFolder).tokenLogProbabilities(batch.batch)
        #expect(reference.scalars == base.scalars)
        func sums(_ t: Tensor<Float>) -> [Float] {
            let v = t.scalars
            return (0..<12).map { k in batch.scoredPositions(ofSequence: k).reduce(0) { $0 + v[$1] } }
        }
        let (p, r) = (sums(policy), sums(reference))
        #expect(p.allSatisfy { $0.isFinite && $0 < 0 } && r.allSatisfy { $0.isFinite && $0 < 0 })
        #expect(zip(p, r).contains { abs($0 - $1) > 1e-3 })   // the adapters change the policy's log-probs
    }
}
