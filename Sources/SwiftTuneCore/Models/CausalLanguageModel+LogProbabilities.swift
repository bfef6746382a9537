extension CausalLanguageModel {
    /// Per-token log-probabilities of the labels, shifted as ``loss(_:labels:shape:layout:normalizer:)`` shifts:
    /// position t of row b holds log p(labels[b, t + 1] | ids[b, ≤ t]), and 0 where that label is −100, at the
    /// last position of a row and at the last token of a packed segment.
    ///
    ///     logp[b·T + t] = log softmax(norm(h_L)[b, t] · Wᵀ)[labels[b, t + 1]]
    ///
    /// The logits are computed a chunk of rows at a time
    /// (``tokenLogProbabilities(hidden:weight:targets:chunkRows:)``); backward reaches the decoder and, when the
    /// output weight is trainable (full fine-tuning, tied embedding), that weight too.
    /// - Parameters:
    ///   - ids: `B · T` token ids, row-major.
    ///   - labels: `B · T` labels aligned with `ids` (−100 = not scored).
    ///   - shape: `[B, T]`.
    ///   - layout: packed segments / padding; default every row one causal sequence.
    /// - Returns: `[B · T]`.
    /// - Throws: ``ModelInputError`` (before any work) as ``loss(_:labels:shape:layout:normalizer:)`` does.
    public func tokenLogProbabilities(_ ids: [Int], labels: [Int], shape: [Int],
                                      layout: AttentionLayout? = nil) throws -> Tensor<Scalar> {
        try validateLabels(labels, ids: ids)
        let hidden = try finalHiddenStates(ids, shape: shape, layout: layout)
        let targets = Self.shiftedTargets(labels, shape: shape, layout: layout)
        let flat = hidden.reshaped([shape[0] * shape[1], configuration.hiddenSize])
        if lmHead == nil, case .frozenBFloat16(let m, _) = embedTokens.table {
            return chunkedTokenLogProbabilities(
                hidden: flat, vocabularySize: m.rows, targets: targets, chunkRows: nil, weight: nil,
                logits: { m.productTransposed($0 as! Tensor<Float>) as! Tensor<Scalar> },
                inputGradient: { m.product($0 as! Tensor<Float>) as! Tensor<Scalar> })
        }
        return SwiftTuneCore.tokenLogProbabilities(hidden: flat, weight: lmHead?.weight.value ?? embedTokens.denseTable,
                                                   targets: targets)
    }

    /// Per-sequence log-probability of the labels: the sum over each row's scored tokens of
    /// ``tokenLogProbabilities(_:labels:shape:layout:)``, or, with `average`, that sum divided by the row's number
    /// of scored tokens (TRL's `average_log_prob`; 0 for a row with none).
    /// - Returns: `[B]`.
    /// - Throws: ``ModelInputError`` as ``tokenLogProbabilities(_:labels:shape:layout:)`` does.
    public func sequenceLogProbabilities(_ ids: [Int], labels: [Int], shape: [Int], layout: AttentionLayout? = nil,
                                         average: Bool) throws -> Tensor<Scalar> {
        let perToken = try tokenLogProbabilities(ids, labels: labels, shape: shape, layout: layout)
        let sums = sequenceSums(perToken, batchSize: shape[0])
        guard average else { return sums }
        let counts = Self.scoredCounts(Self.shiftedTargets(labels, shape: shape, layout: layout), batchSize: shape[0])
        return sums * Tensor(shape: [shape[0]], scalars: counts.map { $0 > 0 ? 1 / Scalar($0) : 0 })
    }

    /// The target of every position, `[B · T]`: `labels[b, t + 1]`, or −100 at the last position of a row and at
    /// the last token of a packed segment (what ``loss(_:labels:shape:layout:normalizer:)`` scores).
    /// - Precondition: `labels.count == shape[0] · shape[1]` (the throwing entry points check it first).
    public static func shiftedTargets(_ labels: [Int], shape: [Int], layout: AttentionLayout? = nil) -> [Int] {
        let (B, T) = (shape[0], shape[1])
        var targets = [Int](repeating: ignoreIndex, count: B * T)
        for b in 0..<B {
            for t in 0..<max(0, T - 1) {
                if let layout, layout.segmentIDs[b * T + t] != layout.segmentIDs[b * T + t + 1] { continue }
                targets[b * T + t] = labels[b * T + t + 1]
            }
        }
        return targets
    }

    /// The number of scored targets (not −100) in each of `batchSize` equal rows of `targets`.
    public static func scoredCounts(_ targets: [Int], batchSize: Int) -> [Int] {
        scoredTokenCounts(targets, batchSize: batchSize)
    }
}
