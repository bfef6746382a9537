import Foundation

/// Differentiable pointwise functions used by the preference losses, computed in `Double` per element so the
/// stable forms below hold for every scalar type.
///
/// | op | f(x) | f′(x) |
/// |---|---|---|
/// | softplus | log(1 + eˣ), as max(x, 0) + log1p(e^(−|x|)) | σ(x) |
/// | logSigmoid | log σ(x) = −softplus(−x) | σ(−x) = 1 − σ(x) |
/// | relu | max(x, 0) | 1 for x > 0, else 0 |
/// | log1mexp | log(1 − eˣ) for x < 0: log1p(−eˣ) when x < −ln 2, else log(−expm1(x)) | −eˣ / (1 − eˣ) = −1/expm1(−x) |
/// | clamped(min:max:) | min(max(x, lo), hi) | 1 inside [lo, hi], 0 where clamped (PyTorch: 1 at the bounds) |
///
/// `log1mexp` is TRL's ORPO helper: the branch at −ln 2 avoids cancellation on either side. It is `nan` for
/// x > 0 and −∞ at 0, as in PyTorch.
extension Tensor where Scalar: TensorScalar {
    /// Applies `value` elementwise and records `derivative` (a function of the input) for backward:
    /// ∂L/∂x = ∂L/∂y · f′(x).
    func pointwise(_ name: String, value: @escaping (Double) -> Double,
                   derivative: @escaping (Double) -> Double) -> Tensor {
        let input = detached
        let out = input.map { Scalar(value($0.doubleValue)) }
        return Tensor.record(name, out, inputs: [self]) { g, _ in
            let slope = input.map { Scalar(derivative($0.doubleValue)) }
            return [g.detached * slope]
        }
    }

    /// softplus(x) = log(1 + eˣ), stable for large |x|. Shape unchanged.
    public func softplus() -> Tensor {
        pointwise("softplus", value: Tensor.softplus, derivative: Tensor.sigmoid)
    }

    /// log σ(x) = −softplus(−x), stable for large |x| (PyTorch's `F.logsigmoid`). Shape unchanged.
    public func logSigmoid() -> Tensor {
        pointwise("logSigmoid", value: { -Tensor.softplus(-$0) }, derivative: { Tensor.sigmoid(-$0) })
    }

    /// max(x, 0) (`torch.relu`; the derivative at 0 is 0, as PyTorch's). Shape unchanged.
    public func relu() -> Tensor {
        pointwise("relu", value: { Swift.max($0, 0) }, derivative: { $0 > 0 ? 1 : 0 })
    }

    /// log(1 − eˣ) for x < 0 (TRL's `log1mexp`, branch at −ln 2). Shape unchanged.
    public func log1mexp() -> Tensor {
        pointwise("log1mexp", value: { x in
            x < -0.6931471805599453 ? Foundation.log1p(-Foundation.exp(x)) : Foundation.log(-Foundation.expm1(x))
        }, derivative: { x in -1 / Foundation.expm1(-x) })
    }

    /// min(max(x, lower), upper) (`torch.clamp`); either bound may be omitted. The gradient passes where the
    /// input is inside the bounds, including at a bound (PyTorch's convention), and is 0 where it was clamped.
    public func clamped(min lower: Double? = nil, max upper: Double? = nil) -> Tensor {
        pointwise("clamp", value: { x in
            var y = x
            if let lower, y < lower { y = lower }
            if let upper, y > upper { y = upper }
            return y
        }, derivative: { x in
            if let lower, x < lower { return 0 }
            if let upper, x > upper { return 0 }
            return 1
        })
    }

    static func softplus(_ x: Double) -> Double { Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x))) }

    static func sigmoid(_ x: Double) -> Double {
        x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
    }
}
