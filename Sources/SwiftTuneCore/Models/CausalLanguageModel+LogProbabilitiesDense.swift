// TEMPORARY (issue 13, slice p-data): a dense stand-in for the chunked log-probability primitive that another
// slice writes with this exact name and signature. It materialises the full `[B, T, V]` log-softmax, so it is only
// for small batches and tests. DELETE THIS FILE AT MERGE and keep the chunked implementation.

extension CausalLanguageModel {
    /// Per-token log-probabilities of `labels` (TEMPORARY dense version, see the file comment).
    ///
    /// Labels align with `ids` and the model shifts: for row b and position t ≥ 1 with `labels[b, t] ≠ −100`
    /// that does not start a packed segment (RoPE position 0 in `layout`),
    ///
    ///     out[b, t] = log softmax(logits[b, t − 1])[labels[b, t]]
    ///
    /// and 0 elsewhere, so a sequence's log-probability is the sum of `out` over its positions. Differentiable
    /// (log-softmax and a gather).
    ///
    /// - Parameters:
    ///   - ids: `B·T` token ids, row-major.
    ///   - labels: `B·T` labels aligned with `ids`; −100 is not scored.
    ///   - shape: `[B, T]`.
    ///   - layout: packed segments / padding (default: each row one causal sequence).
    /// - Returns: `[B, T]`.
    /// - Throws: ``ModelInputError`` for bad ids, shape or labels (before any work).
    public func tokenLogProbabilities(_ ids: [Int], labels: [Int], shape: [Int],
                                      layout: AttentionLayout? = nil) throws -> Tensor<Scalar> {
        try validateInput(ids, shape: shape, layout: layout)
        try validateLabels(labels, ids: ids)
        let (B, T, V) = (shape[0], shape[1], configuration.vocabularySize)
        let positions = layout?.positions
        var indices = [Int](repeating: 0, count: B * T)
        var mask = [Scalar](repeating: 0, count: B * T)
        for b in 0..<B {
            for t in 1..<max(T, 1) {
                let k = b * T + t
                guard labels[k] != ignoreIndex, positions.map({ $0[k] != 0 }) ?? true else { continue }
                indices[k] = (k - 1) * V + labels[k]
                mask[k] = 1
            }
        }
        let logits = try self(ids, shape: shape, layout: layout)
        let picked = logSoftmax(logits).reshaped([B * T * V]).indexSelect(axis: 0, indices: indices)
        return (picked * Tensor(shape: [B * T], scalars: mask)).reshaped([B, T])
    }
}
