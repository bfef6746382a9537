/// Per-sequence log-probabilities out of a preference micro-batch, padded or packed alike.
extension PreferenceBatch {
    /// The scored per-token log-probabilities of every sequence of ``locations``, gathered into one row per
    /// sequence: `values` is `[S · L]` (S = `locations.count`, L = the most scored tokens of a sequence, at least 1),
    /// sequence k's scored tokens first in order, then zeros; `targets` holds the scored labels there and
    /// ``ignoreIndex`` on the padding. The layout ``SequenceLogProbabilities`` expects (`.pairs` for pairs), and
    /// the same for a padded or a packed ``batch``, so packing does not change a sequence's log-probability.
    ///
    /// - Parameter tokenLogProbabilities: `[R · T]` from
    ///   ``CausalLanguageModel/tokenLogProbabilities(_:labels:shape:layout:)`` on ``batch`` (gradients flow back).
    public func gathered<Scalar: TensorScalar>(_ tokenLogProbabilities: Tensor<Scalar>) -> (values: Tensor<Scalar>, targets: [Int]) {
        let positions = locations.indices.map { scoredPositions(ofSequence: $0) }
        let width = max(1, positions.map(\.count).max() ?? 1)
        let zero = tokenLogProbabilities.count   // index of the appended 0
        var indices: [Int] = [], targets: [Int] = []
        indices.reserveCapacity(positions.count * width)
        for p in positions {
            indices += p + [Int](repeating: zero, count: width - p.count)
            targets += p.map { batch.labels[$0 + 1] } + [Int](repeating: ignoreIndex, count: width - p.count)
        }
        let padded = Tensor.concatenate([tokenLogProbabilities.reshaped([zero]), Tensor<Scalar>.zeros([1])], axis: 0)
        return (padded.indexSelect(axis: 0, indices: indices), targets)
    }
}
