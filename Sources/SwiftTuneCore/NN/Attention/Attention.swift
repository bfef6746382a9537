/// Causal scaled-dot-product attention for packed and padded rows, with grouped-query attention:
///
///     out_i = Σ_j softmax_j(scale · q_i·k_j + mask_ij) · v_j,   scale = 1/√D by default
///
/// - Parameters:
///   - query: `[B, T, H, D]`.
///   - key: `[B, S, KV, D]`, H a multiple of KV (query head h reads KV head h / (H/KV); nothing is copied).
///   - value: `[B, S, KV, D]`, the same shape as `key`.
///   - layout: which keys each query sees (packed segments, padding, sliding window); `nil` = plain causal over
///     full rows, where with S > T query i sits at position S − T + i (continuing after S − T cached keys).
///   - scale: the softmax temperature; defaults to 1/√D.
/// - Returns: `[B, T, H, D]`. Queries that see no key (padding) give zeros and pass no gradient.
///
/// For `Float` this is CKernels' tiled kernel (FlashAttention-2 style): the T×S scores are never stored, tiles the
/// mask hides are skipped, only `[B, H, T]` log-sum-exps are saved, and backward recomputes the probabilities.
/// Other scalar types use ``denseAttention(query:key:value:layout:scale:)``.
public func attention<Scalar: TensorScalar>(query: Tensor<Scalar>, key: Tensor<Scalar>, value: Tensor<Scalar>,
                                             layout: AttentionLayout? = nil, scale: Double? = nil) -> Tensor<Scalar> {
    precondition(query.rank == 4 && key.rank == 4 && key.shape == value.shape,
                 "attention: query \(query.shape), key \(key.shape), value \(value.shape)")
    let (B, T, H, D) = (query.shape[0], query.shape[1], query.shape[2], query.shape[3])
    let (S, KV) = (key.shape[1], key.shape[2])
    precondition(key.shape[0] == B && key.shape[3] == D && KV > 0 && H % KV == 0 && S >= T,
                 "attention: query \(query.shape) and key \(key.shape) do not fit (need same B and D, H % KV == 0, S ≥ T)")
    if let layout {
        precondition(layout.batchSize == B && layout.length == T && S == T,
                     "attention: layout \(layout.batchSize)×\(layout.length) for query \(query.shape), key \(key.shape)")
    }
    guard Scalar.self == Float.self else {
        return denseAttention(query: query, key: key, value: value, layout: layout, scale: scale)
    }
    let shape = AttentionShape(batch: B, queries: T, keys: S, heads: H, keyValueHeads: KV, headDim: D,
                               scale: scale ?? 1 / Double(D).squareRoot(), window: layout?.window ?? 0,
                               queryOffset: S - T)
    let segments = layout?.segmentIDs
    let (floatQuery, floatKey, floatValue) = (query as! Tensor<Float>, key as! Tensor<Float>, value as! Tensor<Float>)
    let (q, k, v) = (floatQuery.detached, floatKey.detached, floatValue.detached)
    var lse = Tensor<Float>.zeros([B, H, T])
    let out = Tensor<Float>(shape: query.shape) { out in
        lse.withUnsafeMutableScalars { l in
            withOptionalPointer(segments) { seg in
                Kernels.attentionForward(out: out.baseAddress!, lse: l.baseAddress!, q: q.storage.pointer,
                                         k: k.storage.pointer, v: v.storage.pointer, segments: seg, shape)
            }
        }
    }
    let savedOut = out, savedLse = lse
    let result = Tensor<Float>.record("attention", out, inputs: [floatQuery, floatKey, floatValue]) { g, needs in
        var dq: Tensor<Float>? = needs[0] ? Tensor.zeros(q.shape) : nil
        var dk: Tensor<Float>? = needs[1] ? Tensor.zeros(k.shape) : nil
        var dv: Tensor<Float>? = needs[2] ? Tensor.zeros(v.shape) : nil
        let (pq, pk, pv) = (dq?.withUnsafeMutableScalars { $0.baseAddress }, dk?.withUnsafeMutableScalars { $0.baseAddress },
                            dv?.withUnsafeMutableScalars { $0.baseAddress })
        withOptionalPointer(segments) { seg in
            Kernels.attentionBackward(dq: pq, dk: pk, dv: pv, dout: g.storage.pointer, q: q.storage.pointer,
                                      k: k.storage.pointer, v: v.storage.pointer, out: savedOut.storage.pointer,
                                      lse: savedLse.storage.pointer, segments: seg, shape)
        }
        return [dq, dk, dv]
    }
    return result as! Tensor<Scalar>
}

func withOptionalPointer<T, R>(_ array: [T]?, _ body: (UnsafePointer<T>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}
