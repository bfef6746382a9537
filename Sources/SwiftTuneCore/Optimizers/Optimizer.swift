/// Updates parameters from their gradients.
///
/// An optimizer only defines the per-parameter update; `step` walks the parameters that have
/// a gradient, group by group (``ParameterGroup``).
public protocol Optimizer<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar
    /// The learning rate of the next step (schedules set it); groups scale it.
    var learningRate: Double { get set }
    /// Applies one update to every parameter with a gradient, each with its group's hyperparameters; the caller
    /// then clears the gradients.
    func step(_ groups: [ParameterGroup<Scalar>])
}

extension Optimizer {
    /// One update of `parameters` as a single group with the optimizer's own hyperparameters.
    public func step(_ parameters: [Parameter<Scalar>]) {
        step([ParameterGroup(parameters)])
    }
}

/// Scales all gradients so that their global L2 norm is at most `maxNorm` (`torch.nn.utils.clip_grad_norm_`,
/// which divides by `norm + 1e-6`). Returns the norm before clipping.
@discardableResult
public func clipGradientNorm<Scalar: TensorScalar>(_ parameters: [Parameter<Scalar>], maxNorm: Double) -> Double {
    var total = 0.0
    for p in parameters {
        guard let g = p.grad else { continue }
        total += g.withUnsafeScalars { buffer in buffer.reduce(0.0) { $0 + $1.doubleValue * $1.doubleValue } }
    }
    let norm = total.squareRoot()
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        for p in parameters { if let g = p.grad { p.value.grad = g.scaled(by: Scalar(coefficient)) } }
    }
    return norm
}
