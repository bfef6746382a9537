/// AdamW (Loshchilov & Hutter 2019) exactly as `torch.optim.AdamW` (single-tensor, non-amsgrad) computes it:
///
///     θ ← θ · (1 − lr·λ)                        (decoupled weight decay)
///     m ← m + (1−β₁)(g − m),   v ← β₂v + (1−β₂)g²
///     θ ← θ − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
///
/// For `Float` each parameter's update is one fused, threaded CKernels pass (`st_adamw_f32`). Moments are created
/// as zeros on the first step a parameter has a gradient; t counts optimizer steps, as in PyTorch when every
/// parameter gets a gradient on every step.
///
/// ```swift
/// let optimizer = AdamW<Float>(learningRate: 1e-4, weightDecay: 0.01)
/// loss.backward()
/// optimizer.step(model.trainableParameters)        // or step(ParameterGroup.standard(...))
/// model.zeroGradients()
/// ```
public final class AdamW<Scalar: TensorScalar>: Optimizer {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var weightDecay: Double
    /// Steps taken so far (t).
    public internal(set) var stepCount = 0
    /// First and second moments per parameter (keyed by the parameter object).
    private var moments: [ObjectIdentifier: (m: Tensor<Scalar>, v: Tensor<Scalar>)] = [:]

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0.01) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public func step(_ groups: [ParameterGroup<Scalar>]) {
        stepCount += 1
        let t = Double(stepCount)
        for group in groups {
            let s = AdamWStep(learningRate: learningRate * group.learningRateScale, beta1: beta1, beta2: beta2,
                              epsilon: epsilon, weightDecay: group.weightDecay ?? weightDecay,
                              biasCorrection1: 1 - Double.pow(beta1, t),
                              biasCorrection2Sqrt: (1 - Double.pow(beta2, t)).squareRoot())
            for p in group.parameters { update(p, s) }
        }
    }

    private func update(_ p: Parameter<Scalar>, _ s: AdamWStep) {
        guard let grad = p.grad else { return }
        let key = ObjectIdentifier(p)
        var state = moments.removeValue(forKey: key) ?? (Tensor.zeros(grad.shape), Tensor.zeros(grad.shape))
        grad.withUnsafeScalars { g in
            state.m.withUnsafeMutableScalars { m in
                state.v.withUnsafeMutableScalars { v in
                    p.updateInPlace { theta in
                        Kernels.adamw(parameters: theta.baseAddress!, m: m.baseAddress!, v: v.baseAddress!,
                                      gradient: g.baseAddress!, count: theta.count, s)
                    }
                }
            }
        }
        moments[key] = state
    }

    /// Restores moments saved from ``moments(of:)`` (checkpoint resume).
    public func restore(stepCount: Int, moments restored: [(Parameter<Scalar>, m: Tensor<Scalar>, v: Tensor<Scalar>)]) {
        self.stepCount = stepCount
        moments = [:]
        for (p, m, v) in restored {
            precondition(m.shape == p.shape && v.shape == p.shape, "\(p.path): moments \(m.shape) for \(p.shape)")
            moments[ObjectIdentifier(p)] = (m, v)
        }
    }

    /// The moments of a parameter, or `nil` before its first update (for checkpoints and tests).
    public func moments(of parameter: Parameter<Scalar>) -> (m: Tensor<Scalar>, v: Tensor<Scalar>)? {
        moments[ObjectIdentifier(parameter)]
    }
}
