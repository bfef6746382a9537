/// A metric of one micro-batch, as a sum and a count: the step's value is Σ sum / Σ count over its micro-batches.
///
/// - ``mean(_:)`` is one observation (count 1), so a step reports the mean over its micro-batches — what TRL logs
///   for DPO's `rewards/*` and `logps/*` (each forward's batch mean is stored, the stored values are averaged).
/// - ``ratio(sum:count:)`` weights by the count, e.g. KTO's `rewards/chosen_sum` over the chosen rows of the
///   step; a metric whose counts add up to 0 in a step is not reported for it.
public enum MetricValue: Sendable, Equatable {
    /// One value, averaged over the micro-batches that report it.
    case mean(Double)
    /// A sum over `count` items.
    case ratio(sum: Double, count: Double)

    /// The sum and the count this value adds.
    public var parts: (sum: Double, count: Double) {
        switch self {
        case .mean(let value): return (value, 1)
        case .ratio(let sum, let count): return (sum, count)
        }
    }
}
