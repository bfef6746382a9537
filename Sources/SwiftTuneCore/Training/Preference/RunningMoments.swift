/// Running mean and variance of a stream of batches (TRL's `RunningMoments`, used by `bco_pair` for its reward
/// shift δ). Starts at mean 0, variance 1, count 10⁻²⁴; `update` merges a batch's population moments:
///
///     δ = m_x − mean;  N = count + n
///     mean += δ · n / N
///     var   = (var · count + δ² · count · n / N + var_x · n) / N;  std = √(var · N / (N − 1))
public struct RunningMoments: Codable, Equatable, Sendable {
    /// The running mean (δ of `bco_pair`).
    public var mean: Double = 0
    /// The running (sample) standard deviation.
    public var standardDeviation: Double = 1
    /// The running population variance.
    public var variance: Double = 1
    /// The number of values merged so far (starts at 10⁻²⁴, as TRL's).
    public var count: Double = 1e-24

    /// The initial state.
    public init() {}

    /// Merges the values `xs` (one value for `bco_pair`: the batch-mean reward).
    public mutating func update(_ xs: [Double]) {
        guard !xs.isEmpty else { return }
        let n = Double(xs.count)
        let batchMean = xs.reduce(0, +) / n
        let batchVariance = xs.reduce(0) { $0 + ($1 - batchMean) * ($1 - batchMean) } / n
        let delta = batchMean - mean
        let total = count + n
        let sum = variance * count + delta * delta * count * n / total + batchVariance * n
        mean += delta * n / total
        let newVariance = sum / total
        standardDeviation = (newVariance * total / (total - 1)).squareRoot()
        variance = newVariance
        count = total
    }
}
