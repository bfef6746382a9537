/// The decoder layer's generation paths against a ``KVCache``: a prefill chunk of one row, and one-token decode
/// steps for many rows.
extension DecoderLayer where Scalar == Float {
    /// One prefill chunk of one row: `x` `[1, T, C]` at positions `offset ..< offset + T` of cache slot `slot`; the
    /// chunk's keys and values are written to the cache, and its queries attend to the slot's keys 0 ..< offset + T
    /// (`st_attention_cached_f32`).
    func prefillChunk(_ x: Tensor<Float>, plan: DecodeLayerPlan, offset: Int, slot: Int, adapter: Int?,
                      cache: KVCache, layer: Int, rope: RotaryEmbedding<Float>) -> Tensor<Float> {
        let c = configuration
        let T = x.shape[1]
        let n1 = inputNorm(x)
        let (q, k, v) = headsWithRoPE(plan.query.prefill(n1, adapter: adapter), plan.key.prefill(n1, adapter: adapter),
                                      plan.value.prefill(n1, adapter: adapter), positions: Array(offset..<(offset + T)),
                                      rope: rope)
        cache.writeChunk(layer: layer, key: k, value: v, slot: slot, offset: offset)
        let slotFloats = c.keyValueHeads * cache.capacity * c.headDimension
        let context = Tensor<Float>(shape: [1, T, c.attentionHeads * c.headDimension]) { out in
            cache.keys[layer].withUnsafeScalars { kc in
                cache.values[layer].withUnsafeScalars { vc in
                    q.withUnsafeScalars { qp in
                        Kernels.attentionCached(out: out.baseAddress!, q: qp.baseAddress!,
                                                keyCache: kc.baseAddress! + slot * slotFloats,
                                                valueCache: vc.baseAddress! + slot * slotFloats, queries: T,
                                                offset: offset, heads: c.attentionHeads, keyValueHeads: c.keyValueHeads,
                                                headDim: c.headDimension, capacity: cache.capacity,
                                                scale: 1 / Double(c.headDimension).squareRoot(),
                                                window: c.slidingWindow ?? 0)
                    }
                }
            }
        }
        let h = x + plan.output.prefill(context, adapter: adapter)
        let n2 = postAttentionNorm(h)
        return h + plan.down.prefill(swiglu(gate: plan.gate.prefill(n2, adapter: adapter),
                                            up: plan.up.prefill(n2, adapter: adapter)), adapter: adapter)
    }

    /// One new token for each of M rows: `x` `[M, C]`, row r at position `positions[r]` of cache slot `slots[r]`,
    /// its adapter given by `groups`. Every product is a row-invariant matrix–vector pass (``DecodeProjection``), so
    /// row r's output does not depend on M or on the other rows.
    func decodeRows(_ x: Tensor<Float>, plan: DecodeLayerPlan, positions: [Int], slots: [Int], groups: DecodeRowGroups,
                    cache: KVCache, layer: Int, rope: RotaryEmbedding<Float>) -> Tensor<Float> {
        let c = configuration
        let M = x.shape[0]
        let n1 = inputNorm(x)
        let qkv = Self.decodeProjections(n1, [plan.query, plan.key, plan.value], groups: groups)
        let (q, k, v) = headsWithRoPE(qkv[0].reshaped([M, 1, qkv[0].shape[1]]), qkv[1].reshaped([M, 1, qkv[1].shape[1]]),
                                      qkv[2].reshaped([M, 1, qkv[2].shape[1]]), positions: positions, rope: rope)
        cache.write(layer: layer, key: k, value: v, slots: slots, positions: positions)
        let lengths = positions.map { Int64($0 + 1) }
        let slots64 = slots.map(Int64.init)
        let context = Tensor<Float>(shape: [M, c.attentionHeads * c.headDimension]) { out in
            lengths.withUnsafeBufferPointer { len in
                slots64.withUnsafeBufferPointer { sl in
                    cache.keys[layer].withUnsafeScalars { kc in
                        cache.values[layer].withUnsafeScalars { vc in
                            q.withUnsafeScalars { qp in
                                Kernels.attentionDecode(out: out.baseAddress!, q: qp.baseAddress!,
                                                        keyCache: kc.baseAddress!, valueCache: vc.baseAddress!,
                                                        lengths: len.baseAddress!, slots: sl.baseAddress!, batch: M,
                                                        heads: c.attentionHeads, keyValueHeads: c.keyValueHeads,
                                                        headDim: c.headDimension, capacity: cache.capacity,
                                                        scale: 1 / Double(c.headDimension).squareRoot(),
                                                        window: c.slidingWindow ?? 0)
                            }
                        }
                    }
                }
            }
        }
        let h = x + Self.decodeProjections(context, [plan.output], groups: groups)[0]
        let n2 = postAttentionNorm(h)
        let gateUp = Self.decodeProjections(n2, [plan.gate, plan.up], groups: groups)
        return h + Self.decodeProjections(swiglu(gate: gateUp[0], up: gateUp[1]), [plan.down], groups: groups)[0]
    }

    /// `projections[i](x)` for x `[M, K]` → `[M, N_i]`: the dense bases in one `st_matvec_multi_f32` pass (one
    /// parallel region over all their rows, any M, each row's sums in a fixed order), the others' bases on their
    /// own, then every epilogue (bias, low-rank updates per row group).
    static func decodeProjections(_ x: Tensor<Float>, _ projections: [any DecodeProjection],
                                  groups: DecodeRowGroups) -> [Tensor<Float>] {
        let K = x.shape[1]
        let M = x.shape[0]
        let cx = x.detached
        let outputs = projections.map {
            Tensor<Float>(shape: [M, $0.outputFeatures], storage: TensorStorage(uninitializedCount: M * $0.outputFeatures))
        }
        let fused = projections.indices.compactMap { i in projections[i].fusibleDecodeWeight.map { (i, $0) } }
        withExtendedLifetime((cx, outputs, fused)) {
            let xp = UnsafePointer(cx.storage.pointer)
            if !fused.isEmpty {
                Kernels.matvecMulti(fused.map { Optional(outputs[$0.0].storage.pointer) },
                                    w: fused.map { Optional(UnsafePointer($0.1.storage.pointer)) },
                                    n: fused.map { Int64($0.1.shape[0]) }, x: xp, m: M, k: K)
            }
            for (i, projection) in projections.enumerated() {
                if projection.fusibleDecodeWeight == nil { projection.decodeBase(xp, rows: M, into: outputs[i].storage.pointer) }
                projection.decodeEpilogue(xp, outputs[i].storage.pointer, groups: groups)
            }
        }
        return outputs
    }
}

/// A decoder layer's projections as ``DecodeProjection``s (resolved once, when a session starts; with an
/// ``AdapterBank``, the bank's projections where an adapter targets them).
struct DecodeLayerPlan {
    let query, key, value, output, gate, up, down: any DecodeProjection

    /// - Throws: ``DecodingSessionError/unsupportedProjection(path:reason:)`` for a projection without a decode path.
    init(layer: DecoderLayer<Float>, bank: [ProjectionName: AdapterBankProjection]) throws {
        func resolve(_ name: ProjectionName) throws -> any DecodeProjection {
            if let banked = bank[name] { return banked }
            let projection = layer.projection(name)
            guard let decodable = projection as? any DecodeProjection else {
                throw DecodingSessionError.unsupportedProjection(path: projection.path,
                                                          reason: "\(type(of: projection)) has no decode path")
            }
            if let reason = decodable.decodeUnsupportedReason {
                throw DecodingSessionError.unsupportedProjection(path: projection.path, reason: reason)
            }
            return decodable
        }
        query = try resolve(.query)
        key = try resolve(.key)
        value = try resolve(.value)
        output = try resolve(.output)
        gate = try resolve(.gate)
        up = try resolve(.up)
        down = try resolve(.down)
    }
}
