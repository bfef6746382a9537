import Foundation
import SwiftTuneCore
import Testing
import TestSupport

/// ``Trainer/didAccumulateGradients`` and ``Trainer/lossNormalizer``.
@Suite("Trainer hooks")
struct TrainerHookTests {
    func model() throws -> CausalLanguageModel<Float> {
        let url = try #require(Bundle.module.url(forResource: "llama-gqa", withExtension: nil, subdirectory: "Fixtures/models"))
        return try CausalLanguageModel<Float>.load(from: url)
    }

    func samples() -> [Sample] {
        var rng = RandomGenerator(seed: 11)
        return (0..<6).map { _ in
            let ids = (0..<(4 + Int(rng.next() % 8))).map { _ in 3 + Int(rng.next() % 90) }
            return Sample(ids: ids, labels: ids)
        }
    }

    func configuration() -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.optimizer = .sgd
        c.weightDecay = 0
        c.learningRate = 0.1
        c.batchSize = 2
        c.gradientAccumulationSteps = 2
        c.maxSteps = 2
        c.maxGradNorm = 0   // no clipping: gradients reach the optimizer as the hook leaves them
        return c
    }

    /// A hook that zeroes the gradients leaves the weights where they were.
    @Test func hookScalingGradientsByZeroGivesNoUpdate() throws {
        let trainer = try Trainer(model: try model(), samples: samples(), configuration: configuration())
        let before = trainer.parameters.map(\.value.scalars)
        var calls = 0
        trainer.didAccumulateGradients = { t in
            calls += 1
            for p in t.parameters { if let g = p.grad { p.value.grad = g.scaled(by: 0) } }
        }
        try trainer.train()
        #expect(calls == 2)
        #expect(trainer.step == 2)
        #expect(trainer.history.allSatisfy { $0.gradientNorm == 0 && $0.loss > 0 })
        for (b, p) in zip(before, trainer.parameters) { #expect(b == p.value.scalars, "\(p.path)") }
        // Without the hook the same run moves the weights.
        let moved = try Trainer(model: try model(), samples: samples(), configuration: configuration())
        try moved.train()
        #expect(zip(before, moved.parameters).contains { $0 != $1.value.scalars })
    }

    /// A hook sees every micro-batch's gradient summed, before clipping.
    func gradients(normalizer: ((Int) -> Double)?) throws -> (loss: Double, grads: [[Float]], counts: [Int]) {
        let trainer = try Trainer(model: try model(), samples: samples(), configuration: configuration())
        var counts: [Int] = []
        if let normalizer {
            trainer.lossNormalizer = { counts.append($0); return normalizer($0) }
        }
        var grads: [[Float]] = []
        trainer.didAccumulateGradients = { t in grads = t.parameters.map { $0.grad?.scalars ?? [] } }
        var tokens = 0
        let progress = try trainer.trainStep(tokensSoFar: &tokens)
        return (progress.loss, grads, counts)
    }

    /// Doubling the normaliser halves the loss and the gradients; the default is the local count.
    @Test func normalizerTimesTwoHalvesTheGradients() throws {
        let plain = try gradients(normalizer: nil)
        let same = try gradients(normalizer: { Double(max(1, $0)) })
        let doubled = try gradients(normalizer: { 2 * Double(max(1, $0)) })
        // The trainer asks once per step, with the step's scored tokens.
        #expect(same.counts.count == 1 && same.counts[0] > 0)
        #expect(plain.loss == same.loss)
        #expect(plain.grads == same.grads)
        #expect(Swift.abs(doubled.loss - plain.loss / 2) <= 1e-6 * plain.loss)
        #expect(!plain.grads.isEmpty)
        for (a, b) in zip(plain.grads, doubled.grads) {
            #expect(a.count == b.count)
            for (x, y) in zip(a, b) { #expect(Swift.abs(y - x / 2) <= 1e-6 * Swift.max(Swift.abs(x), 1e-12)) }
        }
    }

    /// A throwing hook applies nothing: step and data position stay, gradients are cleared, the error propagates.
    @Test func throwingHookLeavesTheTrainerAtItsStep() throws {
        struct AllReduceFailed: Error {}
        let trainer = try Trainer(model: try model(), samples: samples(), configuration: configuration())
        let before = trainer.parameters.map(\.value.scalars)
        trainer.didAccumulateGradients = { _ in throw AllReduceFailed() }
        var tokens = 0
        #expect(throws: AllReduceFailed.self) { try trainer.trainStep(tokensSoFar: &tokens) }
        #expect(trainer.step == 0 && trainer.microBatchIndex == 0 && trainer.history.isEmpty)
        #expect(trainer.parameters.allSatisfy { $0.grad == nil })
        for (b, p) in zip(before, trainer.parameters) { #expect(b == p.value.scalars) }
        trainer.didAccumulateGradients = nil
        try trainer.trainStep(tokensSoFar: &tokens)
        #expect(trainer.step == 1)
    }
}
