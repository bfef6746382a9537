/// Scaled-dot-product attention computed densely: `softmax(Q·Kᵀ·scale + mask) · V`.
///
/// This is the readable reference (it materialises the `[B, H, T, S]` scores); the tiled kernel behind
/// ``attention(query:key:value:layout:scale:)`` is checked against it.
///
/// - Parameters:
///   - query: `[B, T, H, D]`.
///   - key: `[B, S, KV, D]` with H a multiple of KV (grouped-query attention: query head h reads KV head
///     `h / (H / KV)`, as transformers' `repeat_kv` does).
///   - value: `[B, S, KV, D]`.
///   - layout: which keys each query sees; `nil` means plain causal attention (with S ≥ T, query i sits at
///     position S − T + i).
///   - scale: defaults to 1/√D.
/// - Returns: `[B, T, H, D]`; a query that sees no key (padding) outputs zeros.
public func denseAttention<Scalar: TensorScalar>(query: Tensor<Scalar>, key: Tensor<Scalar>, value: Tensor<Scalar>,
                                                  layout: AttentionLayout? = nil, scale: Double? = nil) -> Tensor<Scalar> {
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
    let scores = matmul(q, k, transposeB: true).scaled(by: Scalar(scale ?? 1 / Double(d).squareRoot()))  // [B, H, T, S]
    var hidden = [Bool](repeating: false, count: b * t * s)
    if let layout {
        precondition(layout.batchSize == b && layout.length == t && s == t, "layout \(layout.batchSize)×\(layout.length) for query \(query.shape), key \(key.shape)")
        for r in 0..<b { for i in 0..<t { for j in 0..<s { hidden[(r * t + i) * s + j] = !layout.isVisible(row: r, query: i, key: j) } } }
    } else {
        for r in 0..<b { for i in 0..<t { for j in 0..<s where j > i + (s - t) { hidden[(r * t + i) * s + j] = true } } }
    }
    let mask = Tensor<Bool8>(shape: [b, 1, t, s], bools: hidden)
    // Rows that see nothing would be softmax of all −∞ (NaN); give them a finite score and zero them after.
    let empty = (0..<(b * t)).map { row in (0..<s).allSatisfy { hidden[row * s + $0] } }
    var probabilities = softmax(scores.masked(where: mask, with: -Scalar.infinity).masked(
        where: Tensor<Bool8>(shape: [b, 1, t, 1], bools: empty), with: 0))
    if empty.contains(true) {
        probabilities = probabilities.masked(where: Tensor<Bool8>(shape: [b, 1, t, 1], bools: empty), with: 0)
    }
    return matmul(probabilities, v).permuted([0, 2, 1, 3])
}
