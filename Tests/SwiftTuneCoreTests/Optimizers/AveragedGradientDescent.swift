import SwiftTuneCore

/// A small optimizer defined only in the tests, to show that a new optimizer is one file: gradient descent on an
/// exponential average of the gradients, e ← ½e + ½g, θ ← θ − lr·e, with e checkpointed as `<path>.grad_avg`.
final class AveragedGradientDescent: Optimizer {
    var learningRate: Double
    private(set) var stepCount = 0
    private var averages: [ObjectIdentifier: [Float]] = [:]

    init(learningRate: Double) { self.learningRate = learningRate }

    var hyperparameters: String { "averaged_gd decay=0.5" }

    func step(_ groups: [ParameterGroup<Float>]) {
        stepCount += 1
        for group in groups {
            let lr = Float(learningRate * group.learningRateScale)
            for p in group.parameters {
                guard let g = p.grad?.scalars else { continue }
                var e = averages[ObjectIdentifier(p)] ?? [Float](repeating: 0, count: g.count)
                for i in e.indices { e[i] = 0.5 * e[i] + 0.5 * g[i] }
                p.updateInPlace { theta in for i in 0..<theta.count { theta[i] -= lr * e[i] } }
                averages[ObjectIdentifier(p)] = e
            }
        }
    }

    func stateEntries(for parameters: [Parameter<Float>]) -> [SafetensorsWriter.Entry] {
        parameters.compactMap { p in
            averages[ObjectIdentifier(p)].map { .init(name: p.path + ".grad_avg", tensor: Tensor(shape: p.shape, scalars: $0)) }
        }
    }

    func restoreState(from file: SafetensorsFile, parameters: [Parameter<Float>], stepCount: Int) throws {
        averages = [:]
        for p in parameters {
            if let e = try stateTensor("grad_avg", of: p, in: file) { averages[ObjectIdentifier(p)] = e.scalars }
        }
        self.stepCount = stepCount
    }
}
