/// AdamW (Loshchilov & Hutter 2019) exactly as `torch.optim.AdamW` (non-amsgrad, non-fused) computes it:
///
///     θ ← θ − lr·λ·θ                       (decoupled weight decay)
///     m ← β₁m + (1−β₁)g,   v ← β₂v + (1−β₂)g²
///     θ ← θ − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
///
/// Moments are kept per parameter (keyed by the parameter object), created on the first step it has a gradient.
public final class AdamW<Scalar: TensorScalar>: Optimizer {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var weightDecay: Double
    /// Steps taken so far (t).
    public private(set) var stepCount = 0
    private var moments: [ObjectIdentifier: (m: [Scalar], v: [Scalar])] = [:]

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0.01) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter<Scalar>]) {
        stepCount += 1
        let t = Double(stepCount)
        let biasCorrection1 = 1 - Double.pow(beta1, t)
        let biasCorrection2Sqrt = (1 - Double.pow(beta2, t)).squareRoot()
        let stepSize = learningRate / biasCorrection1
        let (b1, b2, eps, decay) = (Scalar(beta1), Scalar(beta2), Scalar(epsilon), Scalar(1 - learningRate * weightDecay))
        for p in parameters {
            guard let grad = p.grad else { continue }
            let key = ObjectIdentifier(p)
            var state = moments[key] ?? ([Scalar](repeating: 0, count: grad.count), [Scalar](repeating: 0, count: grad.count))
            grad.withUnsafeScalars { g in
                p.updateInPlace { theta in
                    for i in 0..<theta.count {
                        theta[i] *= decay
                        state.m[i] = b1 * state.m[i] + (1 - b1) * g[i]
                        state.v[i] = b2 * state.v[i] + (1 - b2) * g[i] * g[i]
                        let denominator = Scalar(Double(state.v[i].squareRoot()) / biasCorrection2Sqrt) + eps
                        theta[i] -= Scalar(stepSize) * state.m[i] / denominator
                    }
                }
            }
            moments[key] = state
        }
    }
}
