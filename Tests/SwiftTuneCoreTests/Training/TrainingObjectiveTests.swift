import Foundation
import SwiftTuneCore
import Testing
import TestSupport

/// SFT through ``Trainer/init(model:objective:configuration:optimizer:)`` and objectives' metrics.
@Suite("Training objectives")
struct TrainingObjectiveTests {
    func model() throws -> CausalLanguageModel<Float> {
        let url = try #require(Bundle.module.url(forResource: "llama-gqa", withExtension: nil, subdirectory: "Fixtures/models"))
        return try CausalLanguageModel<Float>.load(from: url)
    }

    func samples(_ count: Int, seed: UInt64) -> [Sample] {
        var rng = RandomGenerator(seed: seed)
        return (0..<count).map { i in
            let n = 3 + Int(rng.next() % 10)
            let ids = (0..<n).map { _ in 3 + Int(rng.next() % 90) }
            var labels = ids
            if i % 2 == 0 { labels[0] = ignoreIndex; labels[1] = ignoreIndex }
            return Sample(ids: ids, labels: labels)
        }
    }

    func configuration(packing: Bool = false) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.learningRate = 3e-3
        c.batchSize = 2
        c.gradientAccumulationSteps = 2
        c.maxSteps = 3
        c.packing = packing
        c.maxLength = 24
        c.shuffle = false
        return c
    }

    /// The samples initialiser is the SFT objective: same weights bit for bit, same fingerprint.
    @Test(arguments: [false, true])
    func sftObjectiveEqualsSamplesInitializer(packing: Bool) throws {
        let data = samples(9, seed: 4)
        let a = try Trainer(model: try model(), samples: data, configuration: configuration(packing: packing))
        try a.train()
        let m = try model()
        let objective = try SFTObjective(model: m, samples: data, configuration: configuration(packing: packing))
        let b = try Trainer(model: m, objective: objective, configuration: configuration(packing: packing))
        try b.train()
        #expect(a.fingerprint == b.fingerprint)
        #expect(a.history.map(\.loss) == b.history.map(\.loss))
        for (x, y) in zip(a.parameters, b.parameters) { #expect(x.value.scalars == y.value.scalars, "\(x.path)") }
        #expect(b.history.allSatisfy { $0.metrics.isEmpty && $0.validationMetrics.isEmpty && $0.validationLoss == nil })
        #expect(objective.unitCount == (packing ? objective.units.count : 9))
        if packing { #expect(objective.unitCount < 9) }
    }

    /// SFT's normaliser counts scored tokens (labels after the shift) and its token count counts ids.
    @Test func sftCounts() throws {
        let data = [Sample(ids: [5, 6, 7, 8], labels: [ignoreIndex, ignoreIndex, 7, 8]), Sample(ids: [9, 10, 11], labels: [9, 10, 11])]
        let objective = try SFTObjective(model: try model(), samples: data, configuration: configuration())
        #expect(objective.normalizerCount(units: [0]) == 2)
        #expect(objective.normalizerCount(units: [0, 1]) == 4)
        #expect(objective.tokenCount(units: [0, 1]) == 7)
        #expect(objective.fingerprint.count == 16)
        let other = try SFTObjective(model: try model(), samples: Array(data.reversed()), configuration: configuration())
        #expect(other.fingerprint != objective.fingerprint)
    }

    /// SFT with reported metrics: per unit count (a mean over micro-batches), scored tokens per unit (a ratio over the
    /// step) and a ratio that never counts anything (not reported).
    final class MetricSFT: TrainingObjective {
        let sft: SFTObjective
        init(_ sft: SFTObjective) { self.sft = sft }
        var unitCount: Int { sft.unitCount }
        var fingerprint: String { sft.fingerprint }
        func normalizerCount(units: [Int]) -> Int { sft.normalizerCount(units: units) }
        func tokenCount(units: [Int]) -> Int { sft.tokenCount(units: units) }
        func loss(units: [Int], model: CausalLanguageModel<Float>, normalizer: Double) throws -> ObjectiveOutput {
            var output = try sft.loss(units: units, model: model, normalizer: normalizer)
            output.metrics = ["units": .mean(Double(units.count)),
                              "scored_per_unit": .ratio(sum: Double(normalizerCount(units: units)), count: Double(units.count)),
                              "never": .ratio(sum: 0, count: 0)]
            return output
        }
        func evaluate(model: CausalLanguageModel<Float>) throws -> ValidationResult? {
            ValidationResult(loss: 1.5, metrics: ["rewards/accuracies": Double(unitCount)])
        }
    }

    @Test func metricsCombineOverMicroBatches() throws {
        let data = samples(5, seed: 6)   // micro-batches of 2, 2, 1 units per epoch; steps take two of them
        let m = try model()
        let sft = try SFTObjective(model: m, samples: data, configuration: configuration())
        var c = configuration()
        c.evalSteps = 2
        let trainer = try Trainer(model: m, objective: MetricSFT(sft), configuration: c)
        try trainer.train()
        let steps = trainer.history
        #expect(steps.count == 3)
        // Step 1: units [0,1] and [2,3]; step 2: [4] and (next epoch) [0,1]; step 3: [2,3] and [4].
        let batches = [[[0, 1], [2, 3]], [[4], [0, 1]], [[2, 3], [4]]]
        for (progress, micro) in zip(steps, batches) {
            #expect(progress.metrics["units"] == Double(micro.map(\.count).reduce(0, +)) / 2)
            let scored = micro.map { sft.normalizerCount(units: $0) }.reduce(0, +)
            #expect(progress.metrics["scored_per_unit"] == Double(scored) / Double(micro.map(\.count).reduce(0, +)))
            #expect(progress.metrics["never"] == nil)
            #expect(Set(progress.metrics.keys) == ["units", "scored_per_unit"])
        }
        // Validation runs at eval_steps (2) and at the end, with the objective's loss and metrics.
        #expect(steps.map(\.validationLoss) == [nil, 1.5, 1.5])
        #expect(steps.map(\.validationMetrics) == [[:], ["rewards/accuracies": 5], ["rewards/accuracies": 5]])
        #expect(try trainer.evaluate() == ValidationResult(loss: 1.5, metrics: ["rewards/accuracies": 5]))
        // The SFT loss does not change by reporting metrics.
        let plain = try Trainer(model: try model(), samples: data, configuration: configuration())
        try plain.train()
        #expect(plain.history.map(\.loss) == steps.map(\.loss))
    }

    @Test func stepMetricsRule() {
        var metrics = StepMetrics()
        metrics.add(["a": .mean(1), "b": .ratio(sum: 3, count: 1)])
        metrics.add(["a": .mean(4), "b": .ratio(sum: 5, count: 3), "c": .ratio(sum: 1, count: 0)])
        #expect(metrics.values == ["a": 2.5, "b": 2])
        #expect(StepMetrics().values.isEmpty)
    }

    /// An objective without units is refused like an empty data set.
    @Test func emptyObjectiveThrows() throws {
        final class Empty: TrainingObjective {
            var unitCount: Int { 0 }
            var fingerprint: String { "0000000000000000" }
            func normalizerCount(units: [Int]) -> Int { 0 }
            func tokenCount(units: [Int]) -> Int { 0 }
            func loss(units: [Int], model: CausalLanguageModel<Float>, normalizer: Double) throws -> ObjectiveOutput {
                Issue.record("no unit to run")
                return ObjectiveOutput(loss: Tensor<Float>(shape: [], scalars: [0]))
            }
        }
        #expect(throws: TrainingError.noSamples) {
            _ = try Trainer(model: try model(), objective: Empty(), configuration: configuration())
        }
    }
}
