/// A linear map `[rows, in] → [rows, out]` as the decoding path runs it: the fused matrix–vector product of a decode
/// step, and the per-chunk product of a chunked prefill.
///
/// A decode step computes, for each projection and each of the step's M rows,
///
///     y[r] = x[r] · W'ᵀ  (+ bias)  (+ s_a · (x[r] · A_aᵀ) · B_aᵀ  for the adapter a of row r, if any)
///
/// in three parts: the base product (``fusibleDecodeWeight``, which joins one `st_matvec_multi_f32` pass with the
/// sibling projections that read the same x — q, k, v, and gate, up — or ``decodeBase(_:rows:into:)`` for a base
/// that is not a dense float32 matrix, such as NF4), then ``decodeEpilogue(_:_:groups:)`` in place (bias, low-rank
/// updates). Dense ``Linear``, ``NF4Linear``, ``LoRALinear`` (over either) and the ``AdapterBank``'s projections
/// implement it, so LoRA and NF4 policies stay on the fused path and no code asks which class a layer is.
///
/// Batch invariance: each row's arithmetic in every method depends only on that row's x (and its adapter), never on
/// M or on the other rows, so a row's output is bit-identical whatever it is batched with.
public protocol DecodeProjection: AnyObject {
    var inputFeatures: Int { get }
    var outputFeatures: Int { get }
    /// The module path, e.g. `model.layers.0.self_attn.q_proj`.
    var path: String { get }
    /// Why this projection cannot run on the decoding path, or `nil` when it can (the session refuses a model with
    /// such a projection at start, naming it).
    var decodeUnsupportedReason: String? { get }
    /// The dense float32 weight `[out, in]` whose product `x · Wᵀ` is this projection's first term when it can share
    /// a fused matrix–vector pass; `nil` when ``decodeBase(_:rows:into:)`` computes the first term.
    var fusibleDecodeWeight: Tensor<Float>? { get }
    /// `y = x · W'ᵀ` for `rows` rows: `x` `[rows, in]`, `y` `[rows, out]` (only called when ``fusibleDecodeWeight``
    /// is `nil`).
    func decodeBase(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>)
    /// Completes `y` `[rows, out]` in place after the base product of `x` `[rows, in]`: the bias, then any low-rank
    /// update (a ``LoRALinear``'s on every row; the bank's per group of `groups`).
    func decodeEpilogue(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, groups: DecodeRowGroups)
    /// The product for one row's prefill chunk, `x` `[1, T, in]` → `[1, T, out]`, with bank adapter `adapter`
    /// (`nil`: none). It may use a gemm: the result depends only on the chunk.
    func prefill(_ x: Tensor<Float>, adapter: Int?) -> Tensor<Float>
}

extension DecodeProjection {
    public var decodeUnsupportedReason: String? { nil }
}

/// Adds `bias` `[N]` to each of `rows` rows of `y` `[rows, N]`.
func addBias(_ bias: Parameter<Float>?, to y: UnsafeMutablePointer<Float>, rows: Int) {
    guard let bias else { return }
    let n = bias.shape[0]
    bias.value.withUnsafeScalars { b in
        for r in 0..<rows { for j in 0..<n { y[r * n + j] += b[j] } }
    }
}
