import Foundation
import SwiftTuneCore
import Testing

/// A step whose loss is not finite stops the run, naming the step, before any update (the last checkpoint stays
/// the last good state); with `skipNonFiniteSteps` such steps are skipped and counted; a parameter that went
/// non-finite is never handed to a checkpoint.
@Suite("non-finite guard")
struct NonFiniteGuardTests {
    static let poisoned = 7   // the token whose (frozen) embedding row is NaN

    /// The fixture model with a NaN embedding row for ``poisoned``, frozen, so only samples holding that token give a
    /// NaN loss.
    func model() throws -> CausalLanguageModel<Float> {
        let url = try #require(Bundle.module.url(forResource: "llama-gqa", withExtension: nil, subdirectory: "Fixtures/models"))
        let model = try CausalLanguageModel<Float>.load(from: url)
        let table = try #require(model.embedTokens.weight)
        var scalars = table.value.scalars
        let width = table.shape[1]
        for j in 0..<width { scalars[Self.poisoned * width + j] = .nan }
        table.assign(Tensor(shape: table.shape, scalars: scalars))
        table.isTrainable = false
        return model
    }

    /// Four samples in file order; the second and fourth hold the poisoned token.
    func samples() -> [Sample] {
        [[3, 4, 5, 6], [3, Self.poisoned, 5, 6], [8, 9, 10, 11], [12, Self.poisoned, 14, 15]].map { Sample(ids: $0, labels: $0) }
    }

    func configuration(skip: Bool) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.learningRate = 1e-2
        c.batchSize = 1
        c.gradientAccumulationSteps = 1
        c.maxSteps = 4
        c.shuffle = false
        c.saveSteps = 1
        c.gradientCheckpointing = false
        c.skipNonFiniteSteps = skip
        return c
    }

    @Test func stopsNamingTheStep() throws {
        let trainer = try Trainer(model: try model(), samples: samples(), configuration: configuration(skip: false))
        var checkpoints: [Int] = []
        var saved: [[Float]] = []
        #expect {
            try trainer.train(onCheckpoint: { t in
                checkpoints.append(t.step)
                saved = t.parameters.map(\.value.scalars)
            })
        } throws: { error in
            guard case let TrainingError.nonFiniteStep(step, loss, _)? = error as? TrainingError else { return false }
            return step == 2 && loss.isNaN && "\(error)".contains("step 2")
        }
        #expect(checkpoints == [1], "only the good step was checkpointed")
        #expect(trainer.step == 1)
        // No update was applied: the parameters are those of the checkpoint, and finite.
        #expect(trainer.parameters.map(\.value.scalars) == saved)
        #expect(saved.allSatisfy { $0.allSatisfy(\.isFinite) })
    }

    @Test func skipsAndCounts() throws {
        let trainer = try Trainer(model: try model(), samples: samples(), configuration: configuration(skip: true))
        var before: [[Float]] = []
        var unchangedBySkip: [Bool] = []
        try trainer.train(onProgress: { p in
            let now = trainer.parameters.map(\.value.scalars)
            if p.skipped { unchangedBySkip.append(now == before) }
            before = now
            return .proceed
        })
        #expect(trainer.step == 4)
        #expect(trainer.skippedSteps == 2)
        #expect(trainer.history.map(\.skipped) == [false, true, false, true])
        #expect(trainer.history.map(\.skippedStepsSoFar) == [0, 1, 1, 2])
        #expect(unchangedBySkip == [true, true], "a skipped step changed the parameters")
        #expect(trainer.parameters.allSatisfy { $0.value.scalars.allSatisfy(\.isFinite) })
    }

    /// A trainable parameter that is already non-finite is refused before the checkpoint callback runs.
    @Test func nonFiniteParametersAreNeverSaved() throws {
        let model = try model()
        let norm = model.norm.weight
        norm.assign(Tensor(shape: norm.shape, scalars: [Float](repeating: .infinity, count: norm.value.count)))
        var c = configuration(skip: true)
        c.maxSteps = 1
        let trainer = try Trainer(model: model, samples: samples(), configuration: c)
        var called = false
        #expect {
            try trainer.train(onCheckpoint: { _ in called = true })
        } throws: { error in
            guard case let TrainingError.nonFiniteParameter(_, path)? = error as? TrainingError else { return false }
            return path == norm.path
        }
        #expect(!called)
    }
}
