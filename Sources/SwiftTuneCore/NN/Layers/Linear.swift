/// A fully connected layer, `y = x · Wᵀ + b`, with PyTorch's weight layout.
///
/// - `weight`: `[out, in]`; `bias`: `[out]` or none.
/// - Input `[..., in]`, output `[..., out]`: the leading axes fold into one gemm.
///
/// Default initialisation is PyTorch's `nn.Linear`: W, b ~ U(−1/√in, 1/√in).
public final class Linear<Scalar: TensorScalar>: LinearLayer {
    public let weight: Parameter<Scalar>
    public let bias: Parameter<Scalar>?

    public var inputFeatures: Int { weight.shape[1] }
    /// The weight's path without `.weight`.
    public var path: String { weight.path.hasSuffix(".weight") ? String(weight.path.dropLast(7)) : weight.path }
    public var outputFeatures: Int { weight.shape[0] }

    /// A randomly initialised layer; parameters are named `<path>.weight` and `<path>.bias`.
    public init(inputFeatures: Int, outputFeatures: Int, bias: Bool = true, path: String,
                generator: inout RandomGenerator) {
        let bound = 1 / Scalar(inputFeatures).squareRoot()
        weight = Parameter(Tensor.randomUniform([outputFeatures, inputFeatures], low: -bound, high: bound,
                                                generator: &generator), path: "\(path).weight")
        self.bias = bias ? Parameter(Tensor.randomUniform([outputFeatures], low: -bound, high: bound,
                                                          generator: &generator), path: "\(path).bias") : nil
    }

    /// A layer around existing parameters.
    public init(weight: Parameter<Scalar>, bias: Parameter<Scalar>? = nil) {
        precondition(weight.shape.count == 2, "\(weight.path): a linear weight must be [out, in]; got \(weight.shape)")
        if let bias { precondition(bias.shape == [weight.shape[0]], "\(bias.path): bias \(bias.shape) for weight \(weight.shape)") }
        self.weight = weight
        self.bias = bias
    }

    public var parameters: [Parameter<Scalar>] { [weight] + (bias.map { [$0] } ?? []) }

    public func denseWeight() -> Tensor<Scalar> { weight.value.detached }

    /// `x · Wᵀ + b` for `x` of shape `[..., in]`.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(x.shape.last == inputFeatures, "\(weight.path): input \(x.shape) for weight \(weight.shape)")
        let y = matmul(x, weight.value, transposeB: true)
        return bias.map { y + $0.value } ?? y
    }
}
