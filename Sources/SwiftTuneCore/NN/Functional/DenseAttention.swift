/// Causal scaled-dot-product attention computed densely: `softmax(Q·Kᵀ/√D + mask) · V`.
///
/// This is the readable reference (it materialises the `[B, H, T, T]` scores); the packed, tiled kernel of the
/// attention layer is checked against it.
///
/// - Parameters:
///   - query: `[B, T, H, D]`.
///   - key: `[B, T, KV, D]` with H a multiple of KV (grouped-query attention: query head h reads KV head
///     `h / (H / KV)`, as transformers' `repeat_kv` does).
///   - value: `[B, T, KV, D]`.
///   - causal: hide keys after the query position.
/// - Returns: `[B, T, H, D]`.
public func denseAttention<Scalar: TensorScalar>(query: Tensor<Scalar>, key: Tensor<Scalar>, value: Tensor<Scalar>,
                                                  causal: Bool = true) -> Tensor<Scalar> {
    precondition(query.rank == 4 && key.rank == 4 && value.rank == 4, "attention inputs must be [B, T, H, D]")
    let (b, t, h, d) = (query.shape[0], query.shape[1], query.shape[2], query.shape[3])
    let (s, kv) = (key.shape[1], key.shape[2])
    precondition(key.shape == value.shape && key.shape[0] == b && key.shape[3] == d && h % kv == 0,
                 "attention shapes: query \(query.shape), key \(key.shape), value \(value.shape)")
    let group = h / kv
    let headMap = (0..<h).map { $0 / group }
    let k = (group == 1 ? key : key.indexSelect(axis: 2, indices: headMap)).permuted([0, 2, 1, 3])
    let v = (group == 1 ? value : value.indexSelect(axis: 2, indices: headMap)).permuted([0, 2, 1, 3])
    let q = query.permuted([0, 2, 1, 3])
    var scores = matmul(q, k, transposeB: true).scaled(by: 1 / Scalar(d).squareRoot())   // [B, H, T, S]
    if causal {
        var hidden = [Bool](repeating: false, count: t * s)
        for i in 0..<t { for j in 0..<s where j > i + (s - t) { hidden[i * s + j] = true } }
        scores = scores.masked(where: Tensor<Bool8>(shape: [t, s], bools: hidden), with: -Scalar.infinity)
    }
    return matmul(softmax(scores), v).permuted([0, 2, 1, 3])
}
