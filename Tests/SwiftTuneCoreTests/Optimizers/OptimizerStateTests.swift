import Foundation
import SwiftTuneCore
import Testing
import TestSupport

/// Optimizer state through checkpoint tensors (``Optimizer/stateEntries(for:)`` and
/// ``Optimizer/restoreState(from:parameters:stepCount:)``), the configuration's factory, and a new optimizer
/// plugged into the trainer.
@Suite("Optimizer state")
struct OptimizerStateTests {
    func temporaryFile() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("swifttune-optstate-\(UInt32.random(in: 0...UInt32.max)).safetensors")
    }

    func parameters(_ rng: inout RandomGenerator) -> [Parameter<Float>] {
        [Parameter(Tensor<Float>.randomNormal([3, 4], generator: &rng), path: "a.weight"),
         Parameter(Tensor<Float>.randomNormal([5], generator: &rng), path: "b.bias")]
    }

    /// Runs `steps` updates with seeded gradients.
    func run(_ optimizer: any Optimizer<Float>, _ ps: [Parameter<Float>], steps: Int, seed: UInt64) {
        var rng = RandomGenerator(seed: seed)
        for _ in 0..<steps {
            for p in ps { p.value.grad = Tensor<Float>.randomNormal(p.shape, generator: &rng) }
            optimizer.step(ps)
            ps.forEach { $0.zeroGradient() }
        }
    }

    /// Saving the state after 3 steps and restoring it into a fresh optimizer continues bit for bit.
    @Test(arguments: ["adamw", "sgd"])
    func stateRoundTripsThroughSafetensors(_ name: String) throws {
        func make() -> any Optimizer<Float> {
            name == "adamw" ? AdamW<Float>(learningRate: 1e-2, weightDecay: 0.1)
                : SGD<Float>(learningRate: 1e-2, momentum: 0.9, nesterov: true, weightDecay: 0.1)
        }
        var rng = RandomGenerator(seed: 1)
        let ps = parameters(&rng)
        let first = make()
        run(first, ps, steps: 3, seed: 2)
        #expect(first.stepCount == 3)
        let entries = first.stateEntries(for: ps)
        let names = name == "adamw"
            ? ["a.weight.exp_avg", "a.weight.exp_avg_sq", "b.bias.exp_avg", "b.bias.exp_avg_sq"]
            : ["a.weight.momentum_buffer", "b.bias.momentum_buffer"]
        #expect(entries.map(\.name) == names)
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        try SafetensorsWriter.write(entries, to: url)

        let copies = ps.map { Parameter($0.value.detached.converted(to: Float.self), path: $0.path) }
        let second = make()
        try second.restoreState(from: try SafetensorsFile(contentsOf: url), parameters: copies, stepCount: first.stepCount)
        #expect(second.stepCount == 3)
        run(first, ps, steps: 2, seed: 3)
        run(second, copies, steps: 2, seed: 3)
        for (p, q) in zip(ps, copies) { #expect(p.value.scalars == q.value.scalars, "\(p.path)") }
    }

    @Test func badStateIsATypedError() throws {
        var rng = RandomGenerator(seed: 4)
        let ps = parameters(&rng)
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        func expectBad(_ entries: [SafetensorsWriter.Entry], _ optimizer: any Optimizer<Float>, stepCount: Int = 3,
                       _ text: String) throws {
            try SafetensorsWriter.write(entries, to: url)
            do {
                try optimizer.restoreState(from: try SafetensorsFile(contentsOf: url), parameters: ps, stepCount: stepCount)
                Issue.record("\(text): no error")
            } catch let error as TrainingError {
                guard case .badCheckpoint(let path, let reason) = error else { Issue.record("\(error)"); return }
                #expect(path == url.path)
                #expect(reason.contains(text), "\(reason)")
            }
        }
        let wrong = Tensor<Float>.zeros([2, 2])
        try expectBad([.init(name: "a.weight.exp_avg", tensor: wrong), .init(name: "a.weight.exp_avg_sq", tensor: wrong)],
                      AdamW<Float>(), "'a.weight.exp_avg' has shape [2, 2], expected [3, 4]")
        try expectBad([.init(name: "b.bias.exp_avg", tensor: Tensor<Float>.zeros([5]))], AdamW<Float>(),
                      "'b.bias.exp_avg' without 'b.bias.exp_avg_sq'")
        try expectBad([.init(name: "a.weight.momentum_buffer", tensor: wrong)], SGD<Float>(learningRate: 1, momentum: 0.9),
                      "'a.weight.momentum_buffer' has shape [2, 2]")
        try expectBad([.init(name: "a.weight.exp_avg", tensor: Tensor<Float>.zeros([3, 4]))], SGD<Float>(learningRate: 1, momentum: 0.9),
                      "no SGD momentum buffers")
        // Without momentum, or before any step, SGD has no state to miss.
        try SafetensorsWriter.write([], to: url)
        try SGD<Float>(learningRate: 1).restoreState(from: try SafetensorsFile(contentsOf: url), parameters: ps, stepCount: 3)
        try SGD<Float>(learningRate: 1, momentum: 0.9).restoreState(from: try SafetensorsFile(contentsOf: url), parameters: ps, stepCount: 0)
    }

    /// The one place that maps a configuration to an optimizer, with the fingerprint texts checkpoints record.
    @Test func configurationFactory() throws {
        var c = TrainingConfiguration()
        c.learningRate = 2e-4
        c.adamBeta2 = 0.95
        let adamw = try #require(c.makeOptimizer() as? AdamW<Float>)
        #expect(adamw.learningRate == 2e-4 && adamw.beta2 == 0.95 && adamw.weightDecay == c.weightDecay)
        #expect(adamw.hyperparameters == "adamw beta1=0.9 beta2=0.95 eps=1e-08 weight_decay=\(c.weightDecay)")
        c.optimizer = .sgd
        c.sgdMomentum = 0.5
        c.sgdNesterov = true
        let sgd = try #require(c.makeOptimizer() as? SGD<Float>)
        #expect(sgd.momentum == 0.5 && sgd.nesterov && sgd.learningRate == 2e-4)
        #expect(sgd.hyperparameters == "sgd momentum=0.5 nesterov=true weight_decay=\(c.weightDecay)")
    }
}
