/// A Llama-family causal language model: embeddings, decoder layers, final RMSNorm and the output projection
/// (`lm_head`, or the embedding matrix when ``ModelConfiguration/tieWordEmbeddings``).
///
/// Parameter paths are the Hugging Face safetensors keys (`model.embed_tokens.weight`,
/// `model.layers.{i}.self_attn.q_proj.weight`, …, `lm_head.weight`).
public final class CausalLanguageModel<Scalar: TensorScalar>: Layer {
    public let configuration: ModelConfiguration
    public let embedTokens: Embedding<Scalar>
    public let layers: [DecoderLayer<Scalar>]
    public let norm: RMSNorm<Scalar>
    /// `[V, C]`; `nil` when tied to the embeddings.
    public let lmHead: Linear<Scalar>?
    public let rope: RotaryEmbedding<Scalar>
    /// Recompute each decoder layer's activations during backward instead of storing them.
    public var gradientCheckpointing = false

    /// A randomly initialised model.
    public init(configuration c: ModelConfiguration, seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        configuration = c
        embedTokens = Embedding(vocabularySize: c.vocabularySize, dimension: c.hiddenSize, standardDeviation: 0.02,
                                path: "model.embed_tokens", generator: &generator)
        layers = (0..<c.layerCount).map { DecoderLayer(configuration: c, index: $0, generator: &generator) }
        norm = RMSNorm(dimension: c.hiddenSize, epsilon: c.rmsNormEpsilon, path: "model.norm")
        lmHead = c.tieWordEmbeddings ? nil : Linear(
            weight: Parameter(Tensor.randomNormal([c.vocabularySize, c.hiddenSize], standardDeviation: 0.02,
                                                  generator: &generator), path: "lm_head.weight"))
        rope = RotaryEmbedding(rotaryDimension: c.headDimension, theta: c.ropeTheta, maxPositions: c.maxPositions)
    }

    public var parameters: [Parameter<Scalar>] {
        embedTokens.parameters + layers.flatMap(\.parameters) + norm.parameters + (lmHead?.parameters ?? [])
    }

    /// Logits for every position.
    ///
    /// - Parameters:
    ///   - ids: `B·T` token ids, row-major.
    ///   - shape: `[B, T]`.
    ///   - positions: RoPE positions (`B·T`); default `0..<T` in every row.
    /// - Returns: `[B, T, V]`.
    public func callAsFunction(_ ids: [Int], shape: [Int], positions: [Int]? = nil) -> Tensor<Scalar> {
        precondition(shape.count == 2 && shape[0] * shape[1] == ids.count, "ids \(ids.count) for shape \(shape)")
        let positions = positions ?? (0..<shape[0]).flatMap { _ in 0..<shape[1] }
        var h = embedTokens(ids, shape: shape)
        for layer in layers {
            if gradientCheckpointing && GradMode.isEnabled {
                let rope = self.rope
                h = checkpoint([h]) { xs in layer(xs[0], positions: positions, rope: rope) }
            } else {
                h = layer(h, positions: positions, rope: rope)
            }
        }
        h = norm(h)
        return matmul(h, lmHead?.weight.value ?? embedTokens.weight.value, transposeB: true)
    }

    /// Mean next-token cross-entropy over the scored positions (transformers' causal-LM loss: the model shifts,
    /// so `labels` align with `ids` and position t is scored against `labels[t + 1]`; −100 is not scored).
    public func loss(_ ids: [Int], labels: [Int], shape: [Int], positions: [Int]? = nil,
                     normalizer: Double? = nil) -> Tensor<Scalar> {
        precondition(labels.count == ids.count, "\(labels.count) labels for \(ids.count) ids")
        let logits = self(ids, shape: shape, positions: positions)
        let (B, T) = (shape[0], shape[1])
        var targets = [Int](repeating: ignoreIndex, count: B * T)
        for b in 0..<B { for t in 0..<(T - 1) { targets[b * T + t] = labels[b * T + t + 1] } }
        return crossEntropy(logits: logits.reshaped([B * T, configuration.vocabularySize]), targets: targets,
                            normalizer: normalizer)
    }
}
