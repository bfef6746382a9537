import Foundation
import SwiftTuneCore
import Testing
import TestSupport

/// The trainer runs any ``Optimizer``: checkpoints carry its state, its hyperparameters are fingerprinted.
@Suite("Trainer with a custom optimizer")
struct CustomOptimizerTrainingTests {
    func model() throws -> CausalLanguageModel<Float> {
        let url = try #require(Bundle.module.url(forResource: "llama-gqa", withExtension: nil, subdirectory: "Fixtures/models"))
        return try CausalLanguageModel<Float>.load(from: url)
    }

    func samples() -> [Sample] {
        var rng = RandomGenerator(seed: 21)
        return (0..<8).map { _ in
            let ids = (0..<(4 + Int(rng.next() % 8))).map { _ in 3 + Int(rng.next() % 90) }
            return Sample(ids: ids, labels: ids)
        }
    }

    func configuration() -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.learningRate = 0.05
        c.batchSize = 2
        c.maxSteps = 4
        return c
    }

    func trainer() throws -> Trainer {
        let m = try model()
        let objective = try SFTObjective(model: m, samples: samples(), configuration: configuration())
        return try Trainer(model: m, objective: objective, configuration: configuration(),
                           optimizer: AveragedGradientDescent(learningRate: 0.05))
    }

    @Test func resumeEqualsUninterrupted() throws {
        let full = try trainer()
        try full.train()
        #expect(full.fingerprint.optimizer == "averaged_gd decay=0.5")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swifttune-customopt-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try trainer()
        try first.train(onProgress: { $0.step == 2 ? .stop : .proceed }, onCheckpoint: { try $0.saveCheckpoint(to: dir) })
        let saved = try SafetensorsFile(contentsOf: dir.appendingPathComponent("optimizer.safetensors"))
        #expect(!saved.tensorNames.isEmpty && saved.tensorNames.allSatisfy { $0.hasSuffix(".grad_avg") })
        let second = try trainer()
        try second.resume(from: dir)
        #expect(second.step == 2 && second.optimizer.stepCount == 2)
        try second.train()
        for (a, b) in zip(full.parameters, second.parameters) { #expect(a.value.scalars == b.value.scalars, "\(a.path)") }

        // The configuration's AdamW is another optimizer: the checkpoint is refused, naming the field.
        let adamw = try Trainer(model: try model(), samples: samples(), configuration: configuration())
        do {
            try adamw.resume(from: dir)
            Issue.record("resumed an averaged_gd checkpoint with AdamW")
        } catch let error as TrainingError {
            guard case .resumeMismatch(_, let field, let recorded, _) = error else { Issue.record("\(error)"); return }
            #expect(field == "optimizer" && recorded == "averaged_gd decay=0.5")
        }
    }

    /// A checkpoint past the run's last step is refused (it would train nothing and save as if finished).
    @Test func checkpointPastTheLastStepIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swifttune-pastend-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try trainer()
        try first.train(onProgress: { $0.step == 2 ? .stop : .proceed }, onCheckpoint: { try $0.saveCheckpoint(to: dir) })
        var shorter = configuration()
        shorter.maxSteps = 1
        let m = try model()
        let second = try Trainer(model: m, objective: try SFTObjective(model: m, samples: samples(), configuration: shorter),
                                 configuration: shorter, optimizer: AveragedGradientDescent(learningRate: 0.05))
        let error = #expect(throws: TrainingError.self) { try second.resume(from: dir) }
        #expect("\(try #require(error))".contains("step 2, past this run's 1 steps"), "\(String(describing: error))")
        #expect(second.step == 0)
    }
}
