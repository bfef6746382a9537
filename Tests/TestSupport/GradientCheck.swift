import SwiftTuneCore

/// Finite-difference gradient check in `Double`.
///
/// The function's output is reduced to a scalar with fixed random weights r (L = Σ f(x)·r), so every output
/// element's derivative is exercised. The analytic gradient from autograd is compared with the central difference
/// (L(x + h) − L(x − h)) / 2h for every input element.
public struct GradientCheck {
    public var step: Double = 1e-6
    public var relativeTolerance: Double = 1e-5
    public var absoluteTolerance: Double = 1e-7

    public init(step: Double = 1e-6, relativeTolerance: Double = 1e-5, absoluteTolerance: Double = 1e-7) {
        self.step = step
        self.relativeTolerance = relativeTolerance
        self.absoluteTolerance = absoluteTolerance
    }

    /// Returns `nil` when the gradients agree, else a description of the worst element.
    public func failure(inputs: [Tensor<Double>], seed: UInt64 = 7,
                        _ f: @escaping ([Tensor<Double>]) -> Tensor<Double>) -> String? {
        var rng = RandomGenerator(seed: seed)
        let probe = f(inputs.map(\.detached))
        let weights = Tensor<Double>.randomUniform(probe.shape, low: 0.5, high: 1.5, generator: &rng)
        let scalarLoss: ([Tensor<Double>]) -> Tensor<Double> = { xs in (f(xs) * weights).sum() }
        let (_, analytic) = valueAndGradient(at: inputs, of: scalarLoss)
        for (which, input) in inputs.enumerated() {
            var numeric = [Double](repeating: 0, count: input.count)
            for i in 0..<input.count {
                var plus = inputs.map(\.detached), minus = inputs.map(\.detached)
                plus[which].withUnsafeMutableScalars { $0[i] += step }
                minus[which].withUnsafeMutableScalars { $0[i] -= step }
                let lp = withoutGradients { scalarLoss(plus).item }
                let lm = withoutGradients { scalarLoss(minus).item }
                numeric[i] = (lp - lm) / (2 * step)
            }
            let check = allClose(analytic[which].doubles, numeric, rtol: relativeTolerance, atol: absoluteTolerance)
            if !check.ok { return "input \(which) (shape \(input.shape)): analytic vs numeric \(check.report)" }
        }
        return nil
    }
}

/// A reproducible random Double tensor for gradient checks.
public func randomDoubles(_ shape: [Int], seed: UInt64, low: Double = -1, high: Double = 1) -> Tensor<Double> {
    var rng = RandomGenerator(seed: seed)
    return Tensor<Double>.randomUniform(shape, low: low, high: high, generator: &rng)
}
