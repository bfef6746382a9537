/// The objective's metrics between two logged steps: each key's mean over the steps that reported it since the
/// last log (TRL stores every step's metrics and logs their mean at each logging step).
struct LoggedMetrics {
    private var sums: [String: (sum: Double, count: Int)] = [:]

    /// Adds one step's metrics.
    mutating func add(_ metrics: [String: Double]) {
        for (key, value) in metrics {
            let old = sums[key] ?? (0, 0)
            sums[key] = (old.sum + value, old.count + 1)
        }
    }

    /// The means since the last flush, and a fresh start.
    mutating func flush() -> [String: Double] {
        defer { sums = [:] }
        return sums.mapValues { $0.sum / Double($0.count) }
    }
}
