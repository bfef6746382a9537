/// Sequence-level log-probabilities of a batch of completions, as the preference losses consume them.
///
/// For sequence b with scored positions S_b (labels ≠ −100) and per-token log-probabilities logp[b, t]:
///
///     sums[b]        = Σ_{t ∈ S_b} w[b, t] · logp[b, t]     (w = 1, or LD-DPO's weights)
///     plainSums[b]   = Σ_{t ∈ S_b} logp[b, t]
///     tokenCounts[b] = |S_b|
///
/// `sums` is what a loss scores (or `sums / tokenCounts` for the losses that use per-token means: IPO, SimPO,
/// ORPO); `plainSums` and `tokenCounts` give the token-mean negative log-likelihood
/// −Σ_b plainSums[b] / Σ_b tokenCounts[b] (RPO's and CPO's NLL term). Both tensors carry gradients.
public struct SequenceLogProbabilities<Scalar: TensorScalar> {
    /// `[B]` the (possibly weighted) summed log-probabilities.
    public var sums: Tensor<Scalar>
    /// `[B]` the unweighted summed log-probabilities.
    public var plainSums: Tensor<Scalar>
    /// Scored tokens per sequence, `B` counts.
    public var tokenCounts: [Int]

    /// The number of sequences, B.
    public var count: Int { tokenCounts.count }

    /// From precomputed sums.
    /// - Parameters:
    ///   - sums: `[B]`.
    ///   - tokenCounts: B non-negative counts.
    ///   - plainSums: `[B]`; default `sums` (no weighting).
    /// - Throws: ``PreferenceLossError/shapeMismatch(field:expected:got:)`` naming `sums`, `plainSums` or
    ///   `tokenCounts`.
    public init(sums: Tensor<Scalar>, tokenCounts: [Int], plainSums: Tensor<Scalar>? = nil) throws {
        guard sums.shape == [tokenCounts.count] else {
            throw PreferenceLossError.shapeMismatch(field: "sums", expected: "[\(tokenCounts.count)]",
                                                    got: "\(sums.shape)")
        }
        if let plainSums, plainSums.shape != sums.shape {
            throw PreferenceLossError.shapeMismatch(field: "plainSums", expected: "\(sums.shape)",
                                                    got: "\(plainSums.shape)")
        }
        if let bad = tokenCounts.firstIndex(where: { $0 < 0 }) {
            throw PreferenceLossError.shapeMismatch(field: "tokenCounts[\(bad)]", expected: "a count ≥ 0",
                                                    got: "\(tokenCounts[bad])")
        }
        self.sums = sums
        self.plainSums = plainSums ?? sums
        self.tokenCounts = tokenCounts
    }

    /// From per-token log-probabilities `[B · T]` (0 where not scored) and their targets (−100 = not scored).
    /// - Parameters:
    ///   - tokenLogProbabilities: `[B · T]`, 0 where not scored.
    ///   - targets: `B · T` targets aligned with the log-probs.
    ///   - batchSize: B.
    ///   - weights: optional constant per-token weights `[B · T]` applied to `sums` only.
    /// - Throws: ``PreferenceLossError/shapeMismatch(field:expected:got:)`` naming `targets` or
    ///   `tokenLogProbabilities`.
    public init(tokenLogProbabilities: Tensor<Scalar>, targets: [Int], batchSize: Int,
                weights: [Double]? = nil) throws {
        guard batchSize >= 0, tokenLogProbabilities.count == targets.count,
              batchSize == 0 ? targets.isEmpty : targets.count % batchSize == 0 else {
            throw PreferenceLossError.shapeMismatch(
                field: "tokenLogProbabilities", expected: "B · T = \(targets.count) values in \(batchSize) rows",
                got: "\(tokenLogProbabilities.shape)")
        }
        if let weights, weights.count != targets.count {
            throw PreferenceLossError.shapeMismatch(field: "weights", expected: "\(targets.count) values",
                                                    got: "\(weights.count)")
        }
        let plain = sequenceSums(tokenLogProbabilities, batchSize: batchSize)
        let counts = scoredTokenCounts(targets, batchSize: batchSize)
        try self.init(sums: weights.map { sequenceSums(tokenLogProbabilities, batchSize: batchSize, weights: $0) } ?? plain,
                      tokenCounts: counts, plainSums: plain)
    }

    /// Chosen and rejected sequences of P pairs from one `[2P, T]` batch (rows 0..<P chosen, P..<2P rejected,
    /// TRL's and ms-swift's concatenated layout).
    ///
    /// With `lengthDesensitization` α (LD-DPO, ms-swift's `ld_alpha`), pair p's shared length
    /// ℓ_p = min(|S_chosen|, |S_rejected|) and each sequence's `sums` weights its first ℓ_p scored tokens by 1 and
    /// the rest by α: front + α · rear. ms-swift applies this to the policy only; pass `nil` for the reference.
    /// - Throws: ``PreferenceLossError`` for inconsistent shapes.
    public static func pairs(tokenLogProbabilities: Tensor<Scalar>, targets: [Int], pairCount: Int,
                             lengthDesensitization alpha: Double? = nil) throws -> (chosen: Self, rejected: Self) {
        guard pairCount > 0 else { throw PreferenceLossError.emptyBatch(field: "pairs") }
        let all = try Self(tokenLogProbabilities: tokenLogProbabilities, targets: targets, batchSize: 2 * pairCount,
                           weights: alpha.map { ldWeights(targets: targets, pairCount: pairCount, alpha: $0) })
        return (all.rows(0..<pairCount), all.rows(pairCount..<2 * pairCount))
    }

    /// LD-DPO weights: 1 on each sequence's first ℓ_p scored tokens, α on the later ones, 0 where not scored.
    static func ldWeights(targets: [Int], pairCount: Int, alpha: Double) -> [Double] {
        let length = targets.count / (2 * pairCount)
        let counts = scoredTokenCounts(targets, batchSize: 2 * pairCount)
        var weights = [Double](repeating: 0, count: targets.count)
        for row in 0..<(2 * pairCount) {
            let shared = min(counts[row % pairCount], counts[row % pairCount + pairCount])
            var position = 0
            for t in 0..<length where targets[row * length + t] != ignoreIndex {
                weights[row * length + t] = position < shared ? 1 : alpha
                position += 1
            }
        }
        return weights
    }

    /// The sequences `range` (gradients flow back to the whole batch).
    public func rows(_ range: Range<Int>) -> Self {
        var copy = self
        copy.sums = sums.slice(axis: 0, range)
        copy.plainSums = plainSums.slice(axis: 0, range)
        copy.tokenCounts = Array(tokenCounts[range])
        return copy
    }

    /// `sums[b] / tokenCounts[b]`, `[B]` (TRL's `average_log_prob`).
    /// - Throws: ``PreferenceLossError/emptyCompletion(field:index:)`` for a sequence with no scored token.
    public func means(field: String) throws -> Tensor<Scalar> {
        if let empty = tokenCounts.firstIndex(of: 0) { throw PreferenceLossError.emptyCompletion(field: field, index: empty) }
        return sums * Tensor(shape: [count], scalars: tokenCounts.map { 1 / Scalar($0) })
    }

    /// The token-mean negative log-likelihood −Σ_b plainSums[b] / Σ_b tokenCounts[b] (a scalar; ms-swift's
    /// `nll_loss` over the chosen completions).
    /// - Throws: ``PreferenceLossError/emptyCompletion(field:index:)`` when no token is scored.
    public func negativeLogLikelihood(field: String) throws -> Tensor<Scalar> {
        let total = tokenCounts.reduce(0, +)
        guard total > 0 else { throw PreferenceLossError.emptyCompletion(field: field, index: 0) }
        return plainSums.sum().scaled(by: -1 / Scalar(total))
    }
}
