import Foundation
@testable import SwiftTuneCore
import Testing

/// A short DPO LoRA run on the embedded defaults learns the preference: on held-out pairs (translations of
/// Defaults/data/test.jsonl against corrupted ones), `rewards/accuracies` and the chosen − rejected log-probability
/// margin rise. Also the objective's accounting: TRL's per-micro-batch mean and the reference as constants.
@Suite("Preference objectives", .serialized)
struct PreferenceLearningTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func pairs(_ name: String, model: CausalLanguageModel<Float>, tokenizer: Tokenizer) throws -> [PreferencePair] {
        let url = root.appendingPathComponent("Tests/SwiftTuneCLITests/Fixtures/rlhf/\(name)")
        let encoder = PreferenceEncoder(SampleEncoder(tokenizer: tokenizer, scope: .assistantTokens, maxLength: 64))
        return try encoder.encodePairs(PreferenceDataset(contentsOf: url, kind: .paired),
                                       vocabularySize: model.configuration.vocabularySize).items.map(\.item)
    }

    static func setup(seed: UInt64 = 1) throws -> (CausalLanguageModel<Float>, Tokenizer) {
        let folder = root.appendingPathComponent("Defaults/model")
        let model = try CausalLanguageModel<Float>.load(from: folder)
        try model.applyLoRA(LoRAConfiguration(rank: 8, alpha: 16, dropout: 0, targetModules: .allLinear), seed: seed)
        return (model, try Tokenizer(directory: folder))
    }

    @Test func dpoRaisesHeldOutAccuracyAndMargin() throws {
        let (model, tokenizer) = try Self.setup()
        var configuration = TrainingConfiguration(tuner: .lora)
        configuration.learningRate = 5e-3
        configuration.batchSize = 4
        configuration.gradientAccumulationSteps = 1
        configuration.maxSteps = 16
        configuration.warmupRatio = 0
        let objective = try PreferenceObjective(
            model: model, pairs: try Self.pairs("train_pairs.jsonl", model: model, tokenizer: tokenizer),
            validationPairs: try Self.pairs("val_pairs.jsonl", model: model, tokenizer: tokenizer),
            method: .dpo(DPOLoss()), reference: .adaptersDisabled(model), configuration: configuration,
            padID: tokenizer.padTokenID ?? 0)
        let trainer = try Trainer(model: model, objective: objective, configuration: configuration)
        let before = try #require(try trainer.evaluate())
        try trainer.train()
        let after = try #require(try trainer.evaluate())
        func margin(_ r: ValidationResult) -> Double { r.metrics["logps/chosen"]! - r.metrics["logps/rejected"]! }
        #expect(abs(before.loss - log(2.0)) < 1e-5)   // policy = reference before training
        #expect(before.metrics["rewards/accuracies"] == 0)
        #expect(after.metrics["rewards/accuracies"]! >= 0.85, "\(after.metrics)")
        #expect(after.metrics["rewards/margins"]! > 0.5, "\(after.metrics)")
        #expect(margin(after) > margin(before) + 5, "log-prob margin \(margin(before)) → \(margin(after))")
        #expect(after.loss < before.loss - 0.1)
    }

    /// Two micro-batches of two pairs: the step's loss is the mean of the micro-batch means (normaliser 2), and
    /// each micro-batch's is the hinge loss on sums of the model's and the adapters-off reference's log-probs.
    @Test func microBatchMeansAndReferenceWithoutGradients() throws {
        let (model, tokenizer) = try Self.setup(seed: 5)
        var generator = RandomGenerator(seed: 2)
        for adapter in model.loraAdapters {
            adapter.loraB.assign(.randomNormal(adapter.loraB.shape, standardDeviation: 0.3, generator: &generator))
        }
        let pairs = Array(try Self.pairs("train_pairs.jsonl", model: model, tokenizer: tokenizer).prefix(3))
        var configuration = TrainingConfiguration(tuner: .lora)
        configuration.batchSize = 2
        let objective = try PreferenceObjective(model: model, pairs: pairs, method: .dpo(DPOLoss(lossTypes: [.hinge])),
                                                reference: .adaptersDisabled(model), configuration: configuration)
        #expect(objective.normalizerCount(units: [0, 1]) == 1 && objective.normalizerCount(units: [2]) == 1)
        func direct(_ units: [Int]) throws -> Double {
            func sums(_ samples: [Sample]) throws -> [Double] {
                let b = Batch.padded(samples)
                let s = try model.sequenceLogProbabilities(b.ids, labels: b.labels, shape: b.shape, layout: b.layout, average: false)
                return s.scalars.map(Double.init)
            }
            let pc = try sums(units.map { pairs[$0].chosen }), pr = try sums(units.map { pairs[$0].rejected })
            let (rc, rr) = try model.withAdaptersDisabled { (try sums(units.map { pairs[$0].chosen }), try sums(units.map { pairs[$0].rejected })) }
            let losses = units.indices.map { max(0, 1 - 0.1 * ((pc[$0] - pr[$0]) - (rc[$0] - rr[$0]))) }
            return losses.reduce(0, +) / Double(losses.count)
        }
        let a = try objective.loss(units: [0, 1], model: model, normalizer: 2)
        let b = try objective.loss(units: [2], model: model, normalizer: 2)
        #expect(abs(Double(a.loss.item) - (try direct([0, 1])) / 2) < 1e-4)
        #expect(abs(Double(b.loss.item) - (try direct([2])) / 2) < 1e-4)
        // The loss records gradients; metrics are the micro-batch's means (one observation each).
        #expect(a.loss.requiresGradient)
        #expect(a.metrics["rewards/accuracies"] != nil && a.metrics["logps/chosen"] == .mean(a.metrics["logps/chosen"]!.parts.sum))
    }

    @Test func dpoWithoutReferenceIsRefused() throws {
        let (model, tokenizer) = try Self.setup()
        let pairs = Array(try Self.pairs("train_pairs.jsonl", model: model, tokenizer: tokenizer).prefix(2))
        #expect(throws: PreferenceObjectiveError.missingReference(method: "dpo")) {
            try PreferenceObjective(model: model, pairs: pairs, method: .dpo(DPOLoss()), reference: nil,
                                    configuration: TrainingConfiguration())
        }
        // Reference-free methods need none.
        _ = try PreferenceObjective(model: model, pairs: pairs, method: .orpo(ORPOLoss()), reference: nil,
                                    configuration: TrainingConfiguration())
    }
}
