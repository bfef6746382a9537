/// `--precompute-ref-log-probs`.
extension PreferenceObjective {
    /// Whether the reference log-probabilities are cached (``precomputeReferenceLogProbabilities()``).
    public var hasPrecomputedReference: Bool { referenceCache != nil }

    /// Runs the reference once over every training and validation pair, in micro-batches of the batch size and
    /// without gradients, and caches each pair's summed chosen and rejected log-probabilities; later steps read
    /// the cache instead of running the reference (TRL's `precompute_ref_log_probs`). A no-op for the
    /// reference-free methods. The losses equal those computed per step up to float rounding (the reference sees
    /// other batch compositions).
    /// - Throws: ``ModelInputError`` for a batch the reference cannot take.
    public func precomputeReferenceLogProbabilities() throws {
        guard let reference else { return }
        func run(_ list: [PreferencePair]) throws -> [(chosen: Float, rejected: Float)] {
            var out: [(chosen: Float, rejected: Float)] = []
            for start in stride(from: 0, to: list.count, by: batchSize) {
                let pb = try batch(Array(list[start..<min(start + batchSize, list.count)]))
                let (c, r) = try Self.referenceSums(pb, reference: reference)
                out += zip(c.sums.scalars, r.sums.scalars).map { ($0, $1) }
            }
            return out
        }
        referenceCache = try run(pairs)
        validationReferenceCache = try run(validationPairs)
    }
}
