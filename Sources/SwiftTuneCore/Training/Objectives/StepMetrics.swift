/// Combines the metrics of a step's micro-batches (``MetricValue``): each key's value is Σ sum / Σ count.
public struct StepMetrics: Sendable {
    private var sums: [String: (sum: Double, count: Double)] = [:]

    public init() {}

    /// Adds one micro-batch's metrics.
    public mutating func add(_ metrics: [String: MetricValue]) {
        for (key, value) in metrics {
            let (s, c) = value.parts
            let old = sums[key] ?? (0, 0)
            sums[key] = (old.sum + s, old.count + c)
        }
    }

    /// Σ sum / Σ count per key, leaving out keys whose count is 0.
    public var values: [String: Double] {
        sums.compactMapValues { $0.count != 0 ? $0.sum / $0.count : nil }
    }
}
