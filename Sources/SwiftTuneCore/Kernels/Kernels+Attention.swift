import CKernels

/// Shapes and options of one attention call (mirrors `st_attention_params`).
struct AttentionShape {
    var batch: Int, queries: Int, keys: Int, heads: Int, keyValueHeads: Int, headDim: Int
    var scale: Double
    var window: Int
    var queryOffset: Int

    var c: st_attention_params {
        st_attention_params(B: Int64(batch), T: Int64(queries), S: Int64(keys), H: Int64(heads), KV: Int64(keyValueHeads),
                            D: Int64(headDim), scale: Float(scale), causal: 1, window: Int64(window),
                            q_offset: Int64(queryOffset))
    }
}

extension Kernels {
    /// Tiled causal attention forward (Float only); `segments` is `[B·S]` or `nil`.
    static func attentionForward(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                                 q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                 segments: UnsafePointer<Int32>?, _ shape: AttentionShape) {
        st_attention_forward_f32(out, lse, q, k, v, segments, shape.c)
    }

    static func attentionBackward(dq: UnsafeMutablePointer<Float>?, dk: UnsafeMutablePointer<Float>?,
                                  dv: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                                  q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                  out: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                                  segments: UnsafePointer<Int32>?, _ shape: AttentionShape) {
        st_attention_backward_f32(dq, dk, dv, dout, q, k, v, out, lse, segments, shape.c)
    }

    /// One query per row against a head-major KV cache `[B, KV, capacity, D]`.
    static func attentionDecode(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
                                keyCache: UnsafePointer<Float>, valueCache: UnsafePointer<Float>,
                                lengths: UnsafePointer<Int64>, batch: Int, heads: Int, keyValueHeads: Int,
                                headDim: Int, capacity: Int, scale: Double, window: Int) {
        st_attention_decode_f32(out, q, keyCache, valueCache, lengths, Int64(batch), Int64(heads), Int64(keyValueHeads),
                                Int64(headDim), Int64(capacity), Float(scale), Int64(window))
    }

    /// One query per row against cache slots (`st_attention_decode_slots_f32`): row b reads slot `slots[b]` of a
    /// head-major cache `[slots, KV, capacity, D]`; `out`, `q` `[B, H, D]`.
    static func attentionDecode(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
                                keyCache: UnsafePointer<Float>, valueCache: UnsafePointer<Float>,
                                lengths: UnsafePointer<Int64>, slots: UnsafePointer<Int64>, batch: Int, heads: Int,
                                keyValueHeads: Int, headDim: Int, capacity: Int, scale: Double, window: Int) {
        st_attention_decode_slots_f32(out, q, keyCache, valueCache, lengths, slots, Int64(batch), Int64(heads),
                                      Int64(keyValueHeads), Int64(headDim), Int64(capacity), Float(scale), Int64(window))
    }

    /// A prefill chunk of one row against its cache (`st_attention_cached_f32`): `q`, `out` `[T, H, D]` at
    /// positions `offset ..< offset + T`; `keyCache`, `valueCache` point at the row's slot `[KV, capacity, D]`.
    static func attentionCached(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
                                keyCache: UnsafePointer<Float>, valueCache: UnsafePointer<Float>, queries: Int,
                                offset: Int, heads: Int, keyValueHeads: Int, headDim: Int, capacity: Int,
                                scale: Double, window: Int) {
        st_attention_cached_f32(out, q, keyCache, valueCache, Int64(queries), Int64(offset), Int64(heads),
                                Int64(keyValueHeads), Int64(headDim), Int64(capacity), Float(scale), Int64(window))
    }
}
