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

    /// A model whose weights come from `weights` (``RandomWeights``, or a checkpoint).
    ///
    /// `prepareLayer` runs on each decoder layer as soon as it is built, before the next one is read — where
    /// ``ModelFolder/load(_:quantizingProjectionsToNF4:)`` quantizes, so that the float32 weights of only one layer
    /// exist at a time.
    ///
    /// - Throws: ``ModelConfigurationError`` when `c` fails ``ModelConfiguration/validate(file:)`` (checked first);
    ///   the weight source's errors (a missing or mis-shaped tensor, naming the file).
    public init(configuration c: ModelConfiguration, weights: some WeightSource,
                prepareLayer: (DecoderLayer<Scalar>) -> Void = { _ in }) throws {
        try c.validate(file: "configuration")   // also for configurations built in code, before any allocation
        configuration = c
        embedTokens = Embedding(weight: Parameter(
            try weights.weight("model.embed_tokens.weight", shape: [c.vocabularySize, c.hiddenSize], role: .embedding,
                               as: Scalar.self), path: "model.embed_tokens.weight"))
        layers = try (0..<c.layerCount).map {
            let layer = try DecoderLayer<Scalar>(configuration: c, index: $0, weights: weights)
            prepareLayer(layer)
            return layer
        }
        norm = RMSNorm(weight: Parameter(try weights.weight("model.norm.weight", shape: [c.hiddenSize], role: .normScale,
                                                            as: Scalar.self), path: "model.norm.weight"),
                       epsilon: c.rmsNormEpsilon)
        lmHead = c.tieWordEmbeddings ? nil : Linear(weight: Parameter(
            try weights.weight("lm_head.weight", shape: [c.vocabularySize, c.hiddenSize], role: .linear, as: Scalar.self),
            path: "lm_head.weight"))
        rope = RotaryEmbedding(configuration: c)
    }

    /// A randomly initialised model (``RandomWeights`` with `seed`).
    /// - Precondition: `c` passes ``ModelConfiguration/validate(file:)`` (decoded configurations always do); use
    ///   ``init(configuration:weights:prepareLayer:)`` with ``RandomWeights`` to get the error instead.
    public convenience init(configuration c: ModelConfiguration, seed: UInt64) {
        try! self.init(configuration: c, weights: RandomWeights(seed: seed))
    }

    public var parameters: [Parameter<Scalar>] {
        embedTokens.parameters + layers.flatMap(\.parameters) + norm.parameters + (lmHead?.parameters ?? [])
    }

    /// Logits for every position.
    ///
    /// - Parameters:
    ///   - ids: `B·T` token ids, row-major.
    ///   - shape: `[B, T]`.
    ///   - layout: packed segments / padding of the rows; default: every row one causal sequence. The model's
    ///     sliding window (if any) applies either way.
    /// - Returns: `[B, T, V]`.
    /// - Throws: ``ModelInputError`` (checked before any work) when the ids and shape disagree, an id lies outside the
    ///   vocabulary or a position reaches `max_position_embeddings`.
    public func callAsFunction(_ ids: [Int], shape: [Int], layout: AttentionLayout? = nil) throws -> Tensor<Scalar> {
        outputLogits(try finalHiddenStates(ids, shape: shape, layout: layout))
    }

    /// The output projection: `h · Wᵀ` for hidden states `h` `[…, C]` → logits `[…, V]`, where `W` is `lm_head` or,
    /// when tied, the embedding table (which may be stored in bf16, ``Embedding/storeInBFloat16()``).
    public func outputLogits(_ h: Tensor<Scalar>) -> Tensor<Scalar> {
        if let lmHead { return matmul(h, lmHead.weight.value, transposeB: true) }
        switch embedTokens.table {
        case .parameter(let p): return matmul(h, p.value, transposeB: true)
        case .frozenBFloat16(let m, _):
            let rows = h.count / max(1, configuration.hiddenSize)
            let logits = m.productTransposed(h.reshaped([rows, configuration.hiddenSize]) as! Tensor<Float>)
            let out = logits.reshaped(Array(h.shape.dropLast()) + [m.rows]) as! Tensor<Scalar>
            return Tensor.record("bf16_output", out, inputs: [h]) { g, _ in
                let dh = m.product((g as! Tensor<Float>).reshaped([rows, m.rows]))
                let dhScalar = dh.reshaped(h.shape) as! Tensor<Scalar>
                return [dhScalar]
            }
        }
    }

    /// The final-norm hidden states `[B, T, C]` that the output projection turns into logits.
    func finalHiddenStates(_ ids: [Int], shape: [Int], layout: AttentionLayout? = nil) throws -> Tensor<Scalar> {
        try validateInput(ids, shape: shape, layout: layout)
        var layout = layout ?? AttentionLayout.causal(batchSize: shape[0], length: shape[1])
        if let window = configuration.slidingWindow, layout.window == 0 { layout = layout.withWindow(window) }
        let rowsLayout = layout
        var h = embedTokens(ids, shape: shape)
        for layer in layers {
            if gradientCheckpointing && GradMode.isEnabled {
                let rope = self.rope
                h = checkpoint([h]) { xs in layer(xs[0], layout: rowsLayout, rope: rope) }
            } else {
                h = layer(h, layout: rowsLayout, rope: rope)
            }
        }
        return norm(h)
    }

    /// Mean next-token cross-entropy over the scored positions (transformers' causal-LM loss: the model shifts,
    /// so `labels` align with `ids` and position t is scored against `labels[t + 1]`; −100 is not scored).
    /// In a packed row, the last token of a segment is never trained to predict the first token of the next one.
    /// With a frozen output weight (LoRA, QLoRA) the logits are computed a chunk of rows at a time
    /// (``linearCrossEntropy(hidden:weight:targets:normalizer:chunkRows:)``), never all at once.
    /// - Throws: ``ModelInputError`` (checked before any work) as ``callAsFunction(_:shape:layout:)`` does, and for
    ///   a label count that differs from the ids' or a label that is neither −100 nor in the vocabulary.
    public func loss(_ ids: [Int], labels: [Int], shape: [Int], layout: AttentionLayout? = nil,
                     normalizer: Double? = nil) throws -> Tensor<Scalar> {
        try validateLabels(labels, ids: ids)
        let hidden = try finalHiddenStates(ids, shape: shape, layout: layout)
        let (B, T) = (shape[0], shape[1])
        var targets = [Int](repeating: ignoreIndex, count: B * T)
        for b in 0..<B {
            for t in 0..<(T - 1) {
                if let layout, layout.segmentIDs[b * T + t] != layout.segmentIDs[b * T + t + 1] { continue }
                targets[b * T + t] = labels[b * T + t + 1]
            }
        }
        let flat = hidden.reshaped([B * T, configuration.hiddenSize])
        if lmHead == nil, case .frozenBFloat16(let m, _) = embedTokens.table {
            guard GradMode.isEnabled, flat.requiresGradient, B * T > 0 else {
                return crossEntropy(logits: outputLogits(flat), targets: targets, normalizer: normalizer)
            }
            return chunkedCrossEntropy(hidden: flat, vocabularySize: m.rows, targets: targets, normalizer: normalizer,
                                       logits: { m.productTransposed($0 as! Tensor<Float>) as! Tensor<Scalar> },
                                       inputGradient: { m.product($0 as! Tensor<Float>) as! Tensor<Scalar> })
        }
        return linearCrossEntropy(hidden: flat, weight: lmHead?.weight.value ?? embedTokens.denseTable,
                                  targets: targets, normalizer: normalizer)
    }
}
