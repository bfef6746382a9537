/// Stochastic gradient descent with momentum, Nesterov momentum and (coupled) weight decay, as `torch.optim.SGD`:
///
///     d = g + λθ;   b ← d (first step) or μb + (1 − τ)d;   d ← d + μb (Nesterov) or b;   θ ← θ − lr·d
///
/// The momentum buffers b belong to the optimizer's state: ``momentumBuffer(of:)`` and ``restore(buffers:)``
/// carry them through checkpoints (as ``stateEntries(for:)`` / ``restoreState(from:parameters:stepCount:)``).
public final class SGD<Scalar: TensorScalar>: Optimizer {
    public var learningRate: Double
    public var momentum: Double
    public var dampening: Double
    public var nesterov: Bool
    public var weightDecay: Double
    /// Steps taken so far.
    public internal(set) var stepCount = 0
    private var buffers: [ObjectIdentifier: Tensor<Scalar>] = [:]

    public init(learningRate: Double, momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false,
                weightDecay: Double = 0) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum needs momentum > 0 and no dampening")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public func step(_ groups: [ParameterGroup<Scalar>]) {
        stepCount += 1
        for group in groups {
            let lr = Scalar(learningRate * group.learningRateScale), wd = Scalar(group.weightDecay ?? weightDecay)
            for p in group.parameters { update(p, lr: lr, wd: wd) }
        }
    }

    private func update(_ p: Parameter<Scalar>, lr: Scalar, wd: Scalar) {
        guard let grad = p.grad else { return }
        let (mu, tau, nesterov) = (Scalar(momentum), Scalar(dampening), nesterov)
        let key = ObjectIdentifier(p)
        var buffer = buffers.removeValue(forKey: key)
        let first = buffer == nil
        if momentum != 0 && first { buffer = Tensor.zeros(grad.shape) }
        grad.withUnsafeScalars { g in
            p.updateInPlace { theta in
                func update(_ b: UnsafeMutableBufferPointer<Scalar>?) {
                    for i in 0..<theta.count {
                        var d = g[i] + wd * theta[i]
                        if let b {
                            b[i] = first ? d : mu * b[i] + (1 - tau) * d
                            d = nesterov ? d + mu * b[i] : b[i]
                        }
                        theta[i] -= lr * d
                    }
                }
                if buffer != nil { buffer!.withUnsafeMutableScalars { update($0) } } else { update(nil) }
            }
        }
        if let buffer { buffers[key] = buffer }
    }

    /// The momentum buffer of a parameter, or `nil` before its first update or without momentum.
    public func momentumBuffer(of parameter: Parameter<Scalar>) -> Tensor<Scalar>? {
        buffers[ObjectIdentifier(parameter)]
    }

    /// Replaces the momentum buffers (checkpoint resume); parameters not listed start fresh.
    public func restore(buffers restored: [(Parameter<Scalar>, Tensor<Scalar>)]) {
        buffers = [:]
        for (p, b) in restored {
            precondition(b.shape == p.shape, "\(p.path): momentum buffer \(b.shape) for \(p.shape)")
            buffers[ObjectIdentifier(p)] = b
        }
    }
}
