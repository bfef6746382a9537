/// A token-embedding table, `[V, C]`, initialised N(0, std²) (transformers uses std = `initializer_range`).
///
/// The table is a ``Parameter`` (``Table/parameter(_:)``), or — frozen, for QLoRA — a ``BFloat16Matrix``
/// (``Table/frozenBFloat16(_:path:)``) at half the memory, see ``storeInBFloat16()``.
public final class Embedding<Scalar: TensorScalar>: Layer {
    /// Where the table lives.
    public enum Table {
        /// A float parameter (trainable or frozen).
        case parameter(Parameter<Scalar>)
        /// A frozen bf16 copy; `path` is the parameter path it came from (`model.embed_tokens.weight`).
        case frozenBFloat16(BFloat16Matrix, path: String)
    }

    public private(set) var table: Table

    public init(vocabularySize: Int, dimension: Int, standardDeviation: Scalar = 0.02, path: String,
                generator: inout RandomGenerator) {
        table = .parameter(Parameter(Tensor.randomNormal([vocabularySize, dimension], standardDeviation: standardDeviation,
                                                         generator: &generator), path: "\(path).weight"))
    }

    public init(weight: Parameter<Scalar>) { table = .parameter(weight) }

    /// The table as a parameter; `nil` when it is stored in bf16.
    public var weight: Parameter<Scalar>? {
        if case .parameter(let p) = table { return p }
        return nil
    }

    /// The table as a float tensor `[V, C]` (widened from bf16 when stored so: a temporary copy).
    public var denseTable: Tensor<Scalar> {
        switch table {
        case .parameter(let p): return p.value
        case .frozenBFloat16(let m, _): return m.dense().converted(to: Scalar.self)
        }
    }

    /// The parameter path of the table.
    public var path: String {
        switch table {
        case .parameter(let p): return p.path
        case .frozenBFloat16(_, let path): return path
        }
    }

    public var parameters: [Parameter<Scalar>] { weight.map { [$0] } ?? [] }

    /// Looks up `ids` laid out as `shape` (e.g. `[B, T]`); returns `shape + [C]`.
    public func callAsFunction(_ ids: [Int], shape: [Int]) -> Tensor<Scalar> {
        switch table {
        case .parameter(let p): return embedding(p.value, ids: ids, shape: shape)
        case .frozenBFloat16(let m, _):
            precondition(Shape.count(shape) == ids.count, "embedding: \(ids.count) ids for layout \(shape)")
            return m.rows(ids, shape: shape) as! Tensor<Scalar>   // bf16 tables exist only for Scalar == Float
        }
    }
}

extension Embedding where Scalar == Float {
    /// Replaces a frozen float table by its bf16 rounding (``BFloat16Matrix``), halving its memory — what
    /// bitsandbytes' QLoRA recipe holds next to the 4-bit projections. Lossless when the checkpoint stored the
    /// table in BF16 (``BFloat16Matrix/isRepresentable(_:)``); otherwise each value rounds to nearest even.
    /// A trainable table is left as it is.
    /// - Returns: whether the table is stored in bf16 now.
    @discardableResult
    public func storeInBFloat16() -> Bool {
        switch table {
        case .frozenBFloat16: return true
        case .parameter(let p):
            guard !p.isTrainable else { return false }
            table = .frozenBFloat16(BFloat16Matrix(rounding: p.value), path: p.path)
            return true
        }
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
