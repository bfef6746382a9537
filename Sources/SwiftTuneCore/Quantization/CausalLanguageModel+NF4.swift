extension CausalLanguageModel where Scalar == Float {
    /// Replaces every decoder projection (`q_proj`, `k_proj`, `v_proj`, `o_proj`, `gate_proj`, `up_proj`,
    /// `down_proj`) by an ``NF4Linear`` — what transformers does with `BitsAndBytesConfig(load_in_4bit=True,
    /// bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=doubleQuantization)`: the embeddings, the norms and
    /// `lm_head` stay in float32. Biases stay float32 parameters with their trainability unchanged.
    ///
    /// Quantize before adding adapters (QLoRA): a projection that is not a plain ``Linear`` (already NF4, or an
    /// adapter) is left as it is.
    ///
    /// ```swift
    /// let model = try CausalLanguageModel<Float>.load(from: folder)
    /// model.quantizeNF4()          // 4.5 bits per projection weight instead of 32
    /// ```
    /// - Returns: the paths of the projections that were quantized, in layer order.
    @discardableResult
    public func quantizeNF4(doubleQuantization: Bool = true) -> [String] {
        let quantized = layers.flatMap { Self.quantizeProjections(of: $0, doubleQuantization: doubleQuantization) }
        // The float32 weights just freed are sizes a training step never asks for again: give them back to the
        // system instead of keeping them in the buffer cache (on SmolLM-135M, 430 MB of a QLoRA run's memory).
        if !quantized.isEmpty { BufferCache.drain() }
        return quantized
    }

    /// Replaces the plain ``Linear`` projections of one decoder layer by ``NF4Linear``s; returns their paths.
    static func quantizeProjections(of layer: DecoderLayer<Float>, doubleQuantization: Bool) -> [String] {
        var quantized: [String] = []
        for name in ProjectionName.allCases {
            guard let dense = layer.projection(name) as? Linear<Float> else { continue }
            layer.replaceProjection(name, with: NF4Linear(quantizing: dense, doubleQuantization: doubleQuantization))
            quantized.append(dense.path)
        }
        return quantized
    }

    /// Replaces every ``NF4Linear`` projection by a dense ``Linear`` holding its dequantized weight `W'` (bit-identical
    /// to bitsandbytes' `dequantize_4bit`), frozen, with the same bias — so that an adapter can be merged into a
    /// model that was loaded pre-quantized. The dense layers compute what the NF4 ones did (up to float32 rounding
    /// in a different product order).
    /// - Returns: the paths of the projections that were dequantized, in layer order.
    @discardableResult
    public func dequantizeNF4() -> [String] {
        var dequantized: [String] = []
        for layer in layers {
            for name in ProjectionName.allCases {
                guard let nf4 = layer.projection(name) as? NF4Linear else { continue }
                let weight = Parameter(nf4.denseWeight(), path: nf4.path + ".weight", trainable: false)
                layer.replaceProjection(name, with: Linear(weight: weight, bias: nf4.bias))
                dequantized.append(nf4.path)
            }
        }
        return dequantized
    }

    /// Stores the frozen embedding table — with tied embeddings also the output projection — in bf16
    /// (``Embedding/storeInBFloat16()``), as bitsandbytes' QLoRA recipe keeps it: on SmolLM-135M that is 113 → 57 MB,
    /// the largest tensor left next to the 4-bit projections.
    ///
    /// - Parameter onlyIfExact: store only when every value is a bf16 value already (a checkpoint saved in BF16),
    ///   so that nothing changes numerically. `false` rounds to nearest even.
    /// - Returns: whether the table is stored in bf16 now (`false` when it is trainable, or not exact and
    ///   `onlyIfExact`).
    @discardableResult
    public func storeFrozenEmbeddingsInBFloat16(onlyIfExact: Bool = true) -> Bool {
        if case .frozenBFloat16 = embedTokens.table { return true }
        let eligible: Bool = {
            guard let weight = embedTokens.weight, !weight.isTrainable else { return false }
            return !onlyIfExact || BFloat16Matrix.isRepresentable(weight.value)
        }()
        guard eligible, embedTokens.storeInBFloat16() else { return false }
        BufferCache.drain()   // the float32 table, freed now: nothing asks for that size again
        return true
    }

    /// Whether any decoder projection is an ``NF4Linear`` (quantized here, or loaded pre-quantized), directly or
    /// under an adapter.
    public var hasNF4Projections: Bool {
        layers.contains { layer in
            ProjectionName.allCases.contains { name in
                let projection = layer.projection(name)
                return projection is NF4Linear || (projection as? LoRALinear<Float>)?.base is NF4Linear
            }
        }
    }
}
