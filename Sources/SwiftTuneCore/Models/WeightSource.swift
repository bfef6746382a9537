/// What a weight is, so a source can initialise it (random weights) or check it (loaded weights).
public enum WeightRole: Sendable {
    /// A projection matrix `[out, in]`.
    case linear
    /// An embedding table `[V, C]`.
    case embedding
    /// An RMSNorm scale `[C]` (initialised to ones).
    case normScale
    /// A bias `[out]` (initialised to zeros).
    case bias
}

/// Provides a model's weights by Hugging Face parameter path (`model.layers.0.self_attn.q_proj.weight`).
///
/// Models are built from a source: ``RandomWeights`` for a fresh model, a safetensors checkpoint for a trained one.
public protocol WeightSource: AnyObject {
    /// The weight at `path`, which must have `shape`.
    /// - Throws: when the source lacks the weight or holds a different shape (the error names both).
    func weight<S: TensorScalar>(_ path: String, shape: [Int], role: WeightRole, as type: S.Type) throws -> Tensor<S>
    /// The projection weight at `path` (`[out, in]` = `shape`) when the source holds it NF4-quantized, else `nil`
    /// (then ``weight(_:shape:role:as:)`` gives it dense). A quantized weight becomes an ``NF4Linear`` as it is,
    /// without re-quantizing. The default holds none.
    /// - Throws: when the quantized tensors are malformed or `S` is not `Float` (the error names the file).
    func quantizedWeight<S: TensorScalar>(_ path: String, shape: [Int], as type: S.Type) throws -> NF4Weight?
}

extension WeightSource {
    public func quantizedWeight<S: TensorScalar>(_ path: String, shape: [Int], as type: S.Type) throws -> NF4Weight? {
        nil
    }
}

/// Fresh weights as transformers' `_init_weights` draws them: linear and embedding weights N(0, std²)
/// (`initializer_range`, 0.02 by default), RMSNorm scales 1, biases 0. Deterministic for a seed.
public final class RandomWeights: WeightSource {
    public var generator: RandomGenerator
    public let standardDeviation: Double

    public init(seed: UInt64, standardDeviation: Double = 0.02) {
        generator = RandomGenerator(seed: seed)
        self.standardDeviation = standardDeviation
    }

    public func weight<S: TensorScalar>(_ path: String, shape: [Int], role: WeightRole, as type: S.Type) -> Tensor<S> {
        switch role {
        case .linear, .embedding:
            return Tensor<S>.randomNormal(shape, standardDeviation: S(standardDeviation), generator: &generator)
        case .normScale: return Tensor<S>.ones(shape)
        case .bias: return Tensor<S>.zeros(shape)
        }
    }
}
