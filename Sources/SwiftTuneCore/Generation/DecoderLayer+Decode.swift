/// The decoder layer's generation paths: prefill (which fills the KV cache) and one-token decode steps against it.
extension DecoderLayer where Scalar == Float {
    /// The forward pass over a prompt that also stores its keys and values (`counts[b]` real tokens in row b).
    func prefill(_ x: Tensor<Float>, layout: AttentionLayout, rope: RotaryEmbedding<Float>, cache: KVCache,
                 layer: Int, counts: [Int]) -> Tensor<Float> {
        let (q, k, v) = attentionInputs(x, positions: layout.positions, rope: rope)
        cache.write(layer: layer, key: k, value: v, counts: counts)
        return attentionOutput(x, context: attention(query: q, key: k, value: v, layout: layout))
    }

    /// One new token per row (`x` `[B, 1, C]` at `positions[b]`) against the cache.
    func decodeStep(_ x: Tensor<Float>, positions: [Int], rope: RotaryEmbedding<Float>, cache: KVCache,
                    layer: Int) -> Tensor<Float> {
        let c = configuration
        let B = x.shape[0]
        let (q, k, v) = decodeAttentionInputs(x, positions: positions, rope: rope)
        cache.write(layer: layer, key: k, value: v, counts: [Int](repeating: 1, count: B))
        let lengths = cache.lengths.map { Int64($0 + 1) }
        let context = Tensor<Float>(shape: [B, 1, c.attentionHeads, c.headDimension]) { out in
            lengths.withUnsafeBufferPointer { len in
                cache.keys[layer].withUnsafeScalars { kc in
                    cache.values[layer].withUnsafeScalars { vc in
                        q.withUnsafeScalars { qp in
                            Kernels.attentionDecode(out: out.baseAddress!, q: qp.baseAddress!, keyCache: kc.baseAddress!,
                                                    valueCache: vc.baseAddress!, lengths: len.baseAddress!, batch: B,
                                                    heads: c.attentionHeads, keyValueHeads: c.keyValueHeads,
                                                    headDim: c.headDimension, capacity: cache.capacity,
                                                    scale: 1 / Double(c.headDimension).squareRoot(),
                                                    window: c.slidingWindow ?? 0)
                        }
                    }
                }
            }
        }
        return decodeAttentionOutput(x, context: context)
    }

    /// ``attentionInputs(_:positions:rope:)`` for one token per row: q, k and v from one fused matrix–vector pass
    /// when all three projections are dense.
    func decodeAttentionInputs(_ x: Tensor<Float>, positions: [Int], rope: RotaryEmbedding<Float>)
        -> (Tensor<Float>, Tensor<Float>, Tensor<Float>) {
        let projections: [any LinearLayer<Float>] = [queryProjection, keyProjection, valueProjection]
        guard DecoderLayer.canFuse(x, projections),
              let qkv = DecoderLayer.fusedProjections(inputNorm(x), projections) else {
            return attentionInputs(x, positions: positions, rope: rope)
        }
        return headsWithRoPE(qkv[0], qkv[1], qkv[2], positions: positions, rope: rope)
    }

    /// ``attentionOutput(_:context:)`` for one token per row, with gate and up in one fused pass when dense.
    func decodeAttentionOutput(_ x: Tensor<Float>, context: Tensor<Float>) -> Tensor<Float> {
        guard DecoderLayer.canFuse(x, [gateProjection, upProjection]) else { return attentionOutput(x, context: context) }
        let h = residualAfterAttention(x, context: context)
        let gateUp = DecoderLayer.fusedProjections(postAttentionNorm(h), [gateProjection, upProjection])!
        return h + downProjection(swiglu(gate: gateUp[0], up: gateUp[1]))
    }

    /// Whether ``fusedProjections(_:_:)`` applies to `x` (or to a tensor of its shape) and `layers`.
    static func canFuse(_ x: Tensor<Float>, _ layers: [any LinearLayer<Float>]) -> Bool {
        guard !GradMode.isEnabled, let K = x.shape.last, K > 0 else { return false }
        let rows = x.count / K
        return rows >= 1 && rows <= 4 && layers.allSatisfy { ($0 as? Linear<Float>)?.inputFeatures == K }
    }

    /// `layers[i](x)` for every i in one CKernels call (`st_matvec_multi_f32`: one parallel region over all their
    /// rows instead of one per layer), or `nil` when that does not apply: a layer that is not a dense ``Linear``
    /// (LoRA, NF4), more than 4 rows in `x`, or gradients being recorded.
    ///
    /// - Parameters:
    ///   - x: `[..., K]` with at most 4 rows in total.
    ///   - layers: dense layers with `inputFeatures == K`.
    /// - Returns: `[..., N_i]` per layer, biases added.
    static func fusedProjections(_ x: Tensor<Float>, _ layers: [any LinearLayer<Float>]) -> [Tensor<Float>]? {
        guard canFuse(x, layers), let K = x.shape.last else { return nil }
        let dense = layers.map { $0 as! Linear<Float> }
        let rows = x.count / K
        let leading = Array(x.shape.dropLast())
        let outputs = dense.map { Tensor<Float>(shape: leading + [$0.outputFeatures],
                                                storage: TensorStorage(uninitializedCount: rows * $0.outputFeatures)) }
        let weights = dense.map(\.weight.value)
        withExtendedLifetime((x, weights, outputs)) {
            let y = outputs.map { Optional($0.storage.pointer) }
            let w = weights.map { Optional(UnsafePointer($0.storage.pointer)) }
            let n = dense.map { Int64($0.outputFeatures) }
            Kernels.matvecMulti(y, w: w, n: n, x: UnsafePointer(x.storage.pointer), m: rows, k: K)
        }
        return zip(outputs, dense).map { y, layer in layer.bias.map { y + $0.value } ?? y }
    }
}
