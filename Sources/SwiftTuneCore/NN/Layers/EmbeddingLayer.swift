/// A token-embedding table, `[V, C]`, initialised N(0, std²) (transformers uses std = `initializer_range`).
public final class Embedding<Scalar: TensorScalar>: Layer {
    public let weight: Parameter<Scalar>

    public init(vocabularySize: Int, dimension: Int, standardDeviation: Scalar = 0.02, path: String,
                generator: inout RandomGenerator) {
        weight = Parameter(Tensor.randomNormal([vocabularySize, dimension], standardDeviation: standardDeviation,
                                               generator: &generator), path: "\(path).weight")
    }

    public init(weight: Parameter<Scalar>) { self.weight = weight }

    public var parameters: [Parameter<Scalar>] { [weight] }

    /// Looks up `ids` laid out as `shape` (e.g. `[B, T]`); returns `shape + [C]`.
    public func callAsFunction(_ ids: [Int], shape: [Int]) -> Tensor<Scalar> {
        embedding(weight.value, ids: ids, shape: shape)
    }
}

/// RMSNorm as a layer with a learned weight `[C]` initialised to ones.
public final class RMSNorm<Scalar: TensorScalar>: Layer {
    public let weight: Parameter<Scalar>
    public let epsilon: Double

    public init(dimension: Int, epsilon: Double = 1e-6, path: String) {
        weight = Parameter(Tensor.ones([dimension]), path: "\(path).weight")
        self.epsilon = epsilon
    }

    public init(weight: Parameter<Scalar>, epsilon: Double) {
        self.weight = weight
        self.epsilon = epsilon
    }

    public var parameters: [Parameter<Scalar>] { [weight] }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { rmsNorm(x, weight: weight.value, epsilon: epsilon) }
}
