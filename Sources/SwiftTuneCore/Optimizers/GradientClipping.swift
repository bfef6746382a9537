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
