import Foundation
import SwiftTuneCore
import Testing
import TestSupport

@Suite("Trainer")
struct TrainerTests {
    func model() throws -> CausalLanguageModel<Float> {
        let url = try #require(Bundle.module.url(forResource: "llama-gqa", withExtension: nil, subdirectory: "Fixtures/models"))
        return try CausalLanguageModel<Float>.load(from: url)
    }

    func samples(_ count: Int, seed: UInt64) -> [Sample] {
        var rng = RandomGenerator(seed: seed)
        return (0..<count).map { i in
            let n = 3 + Int(rng.next() % 14)
            let ids = (0..<n).map { _ in 3 + Int(rng.next() % 90) }
            var labels = ids
            if i % 2 == 0 { for j in 0..<(n / 3) { labels[j] = ignoreIndex } }  // a prompt part that is not scored
            return Sample(ids: ids, labels: labels)
        }
    }

    /// The same samples packed into rows and padded into a batch give the same loss and gradients.
    @Test func packedBatchEqualsPaddedBatch() throws {
        let model = try model()
        let data = samples(6, seed: 1)
        let padded = Batch.padded(data)
        let packed = Batch.packed(Packing.bestFitDecreasing(data, capacity: 24))
        #expect(packed.shape[0] < padded.shape[0])
        #expect(packed.scoredTokenCount == padded.scoredTokenCount)
        func lossAndGrads(_ b: Batch) throws -> (Float, [[Float]]) {
            let loss = try model.loss(b.ids, labels: b.labels, shape: b.shape, layout: b.layout)
            loss.backward()
            let grads = model.parameters.map { $0.grad!.scalars }
            model.zeroGradients()
            return (loss.item, grads)
        }
        let (lp, gp) = try lossAndGrads(padded)
        let (lk, gk) = try lossAndGrads(packed)
        #expect(Swift.abs(lp - lk) < 1e-5, "padded \(lp) vs packed \(lk)")
        for (a, b) in zip(gp, gk) {
            let d = maxAbsoluteDifference(a, b)
            #expect(d.value < 1e-4, "gradient difference \(d)")
        }
    }

    @Test func packingIsBestFitDecreasing() {
        let s = [5, 3, 8, 2, 6, 4].map { Sample(ids: [Int](repeating: 3, count: $0), labels: [Int](repeating: 3, count: $0)) }
        let rows = Packing.bestFitDecreasing(s, capacity: 10)
        #expect(rows.map { $0.map(\.ids.count) } == [[8, 2], [6, 4], [5, 3]])
        #expect(rows.allSatisfy { $0.reduce(0) { $0 + $1.ids.count } <= 10 })
    }

    func configuration() -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.learningRate = 3e-3
        c.batchSize = 2
        c.gradientAccumulationSteps = 2
        c.maxSteps = 6
        c.warmupSteps = 2
        c.lrScheduler = .cosine()
        c.packing = true
        c.maxLength = 32
        c.gradientCheckpointing = true
        return c
    }

    /// Stopping, saving, and resuming in a new process state gives bit-identical weights to an uninterrupted run
    /// (AdamW moments, and SGD's Nesterov momentum buffers, travel in the checkpoint).
    @Test(arguments: ["adamw", "sgd"])
    func resumeEqualsUninterrupted(_ optimizer: String) throws {
        let data = samples(20, seed: 2)
        func configuration() -> TrainingConfiguration {
            var c = self.configuration()
            if optimizer == "sgd" {
                c.optimizer = .sgd
                c.sgdMomentum = 0.9
                c.sgdNesterov = true
                c.learningRate = 0.05
            }
            return c
        }
        let full = try Trainer(model: try model(), samples: data, configuration: configuration())
        try full.train()
        let expected = full.parameters.map(\.value.scalars)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swifttune-resume-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try Trainer(model: try model(), samples: data, configuration: configuration())
        try first.train(onProgress: { $0.step == 3 ? .stop : .proceed }, onCheckpoint: { try $0.saveCheckpoint(to: dir) })
        #expect(first.step == 3)
        let second = try Trainer(model: try model(), samples: data, configuration: configuration())
        try second.resume(from: dir)
        #expect(second.step == 3)
        try second.train()
        #expect(second.step == 6)
        for (e, o) in zip(expected, second.parameters.map(\.value.scalars)) { #expect(e == o) }
    }

    /// Settings no optimizer can run with are typed errors from the trainer, not crashes.
    @Test func invalidConfigurationsThrow() throws {
        var nesterov = configuration()
        nesterov.optimizer = .sgd
        nesterov.sgdNesterov = true
        nesterov.sgdMomentum = 0
        var ratio = configuration()
        ratio.loraPlusRatio = -1
        var rate = configuration()
        rate.learningRate = .nan
        for (c, text) in [(nesterov, "sgd_nesterov"), (ratio, "lorap_lr_ratio"), (rate, "learning_rate")] {
            do {
                _ = try Trainer(model: try model(), samples: samples(2, seed: 9), configuration: c)
                Issue.record("\(text): no error")
            } catch let error as TrainingError {
                #expect(error.description.contains(text), "\(error)")
            }
        }
    }

    @Test func lossGoesDown() throws {
        var c = configuration()
        c.maxSteps = 30
        c.gradientAccumulationSteps = 1
        c.batchSize = 4
        let data = samples(8, seed: 3)
        let trainer = try Trainer(model: try model(), samples: data, validationSamples: data, configuration: c)
        let before = try trainer.validationLoss()!
        try trainer.train()
        let after = try trainer.validationLoss()!
        #expect(after < before * 0.7, "validation loss \(before) → \(after)")
    }

    @Test func schedules() {
        let cosine = LearningRateSchedule(scheduler: .cosine(), peak: 1, warmupSteps: 2, totalSteps: 10)
        #expect(cosine.rate(at: 0) == 0 && cosine.rate(at: 1) == 0.5 && cosine.rate(at: 2) == 1)
        #expect(Swift.abs(cosine.rate(at: 6) - 0.5) < 1e-12)
        let linear = LearningRateSchedule(scheduler: .linear, peak: 1, warmupSteps: 0, totalSteps: 4)
        #expect([0, 1, 2, 3].map(linear.rate) == [1, 0.75, 0.5, 0.25])
    }
}
