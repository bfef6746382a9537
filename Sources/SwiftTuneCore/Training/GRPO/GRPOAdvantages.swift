import Foundation

/// The advantages of one generation batch and the reward metrics, as ms-swift computes them
/// (`swift/rl_core/advantage.py`: `compute_advantages`, `compute_reward_metrics`).
///
/// With N = P·K completions (P prompts, K = `num_generations` completions each, a prompt's completions
/// consecutive), F reward functions with weights w and scores s[i, f] (`nil` = not scored):
///
///     r[i]  = Σ_f w_f · s[i, f]        over the scored f only (an unscored completion has r = 0)
///     μ[i]  = mean of r over i's group of K
///     A[i]  = r[i] − μ[i]                              (grpo, reinforce_plus_plus)
///     A[i]  = K/(K−1) · (r[i] − μ[i])                   (rloo, K > 1)
///     A[i] /= σ[i] + 10⁻⁴                               unless scaling is none
///
/// σ is the Bessel-corrected standard deviation of r over the group (`group`) or the batch (`batch`); for
/// `reinforce_plus_plus` it is the standard deviation of A instead of r. K = 1 (or N = 1 for `batch`) gives σ = 0.
///
/// Differences from TRL (followed here as ms-swift does): TRL marks a completion that no reward function scored as
/// NaN, leaves it out of its group's mean and σ and gives it advantage 0; ms-swift sums it to r = 0 like any other.
/// TRL's `batch` scaling still subtracts the group mean, as both do.
public struct GRPOAdvantages: Sendable, Equatable {
    /// A[i], `[N]`.
    public var advantages: [Double]
    /// The weighted reward sums r[i], `[N]`.
    public var rewards: [Double]
    /// ms-swift's reward metrics: `reward` (mean of the group means), `reward_std` (mean of the groups' σ for
    /// `group` and `none`, the batch σ for `batch`; 0 when K = 1), `frac_reward_zero_std` (fraction of groups whose
    /// σ ≤ 10⁻⁸, `torch.isclose` to 0), and per function `rewards/<name>/mean` and `rewards/<name>/std` over its
    /// scored completions (mean NaN when none was scored, std 0 when fewer than two).
    public var metrics: [String: Double]

    /// Computes the advantages.
    /// - Parameters:
    ///   - rewardsPerFunction: `[N][F]`: one row per completion, one optional score per reward function.
    ///   - functionNames: the F reward function names (metric keys).
    ///   - weights: the F weights (`--reward_weights`); nil = all 1.
    ///   - numGenerations: K; N must be a positive multiple of it.
    ///   - estimator: ``GRPOAdvantageEstimator``.
    ///   - scaling: ``GRPORewardScaling``.
    /// - Throws: ``GRPOError`` for an empty batch, N not a multiple of K, a row without F scores, a weight count
    ///   other than F, or a non-finite weight or score.
    public init(rewardsPerFunction: [[Double?]], functionNames: [String], weights: [Double]? = nil,
                numGenerations: Int, estimator: GRPOAdvantageEstimator = .grpo,
                scaling: GRPORewardScaling = .group) throws {
        let n = rewardsPerFunction.count, f = functionNames.count, k = numGenerations
        guard n > 0 else { throw GRPOError.emptyBatch(field: "rewards") }
        guard k > 0 else {
            throw GRPOError.invalidHyperparameter(name: "num_generations", value: Double(k), requirement: "≥ 1")
        }
        guard n % k == 0 else { throw GRPOError.notDivisible(completions: n, numGenerations: k) }
        let w = weights ?? [Double](repeating: 1, count: f)
        guard w.count == f else {
            throw GRPOError.shapeMismatch(field: "reward_weights", expected: "\(f) weights (one per reward function)",
                                          got: "\(w.count)")
        }
        if let i = w.firstIndex(where: { !$0.isFinite }) { throw GRPOError.nonFinite(field: "reward_weights", index: i, value: w[i]) }
        for (i, row) in rewardsPerFunction.enumerated() {
            guard row.count == f else {
                throw GRPOError.shapeMismatch(field: "rewards[\(i)]", expected: "\(f) scores", got: "\(row.count)")
            }
            if let j = row.firstIndex(where: { $0.map { !$0.isFinite } ?? false }) {
                throw GRPOError.nonFinite(field: "rewards[\(i)]", index: j, value: row[j]!)
            }
        }
        let r: [Double] = rewardsPerFunction.map { row in
            var sum = 0.0
            for (score, weight) in zip(row, w) { if let score { sum += score * weight } }
            return sum
        }
        let groups = n / k
        let means = (0..<groups).map { Self.mean(r[($0 * k)..<($0 * k + k)]) }
        var a = (0..<n).map { r[$0] - means[$0 / k] }
        if estimator == .rloo, k > 1 {
            let scale = Double(k) / Double(k - 1)
            a = (0..<n).map { i -> Double in r[i] * scale - means[i / k] * scale }
        }
        let spread = estimator == .reinforcePlusPlus ? a : r
        var sigma: [Double]?
        switch scaling {
        case .group:
            let s = (0..<groups).map { k > 1 ? Self.std(spread[($0 * k)..<($0 * k + k)]) : 0 }
            sigma = (0..<n).map { s[$0 / k] }
        case .batch:
            sigma = [Double](repeating: n > 1 ? Self.std(spread[...]) : 0, count: n)
        case .none:
            sigma = nil
        }
        if let sigma { a = (0..<n).map { a[$0] / (sigma[$0] + 1e-4) } }
        advantages = a
        rewards = r

        let groupStd = (0..<groups).map { k > 1 ? Self.std(r[($0 * k)..<($0 * k + k)]) : 0 }
        var m: [String: Double] = ["reward": Self.mean(means[...])]
        m["reward_std"] = scaling == .batch ? (n > 1 ? Self.std(r[...]) : 0) : (k > 1 ? Self.mean(groupStd[...]) : 0)
        m["frac_reward_zero_std"] = k > 1
            ? Double(groupStd.filter { Swift.abs($0) <= 1e-8 }.count) / Double(groups) : 1
        for (j, name) in functionNames.enumerated() {
            let column = rewardsPerFunction.compactMap { $0[j] }
            m["rewards/\(name)/mean"] = column.isEmpty ? .nan : Self.mean(column[...])
            m["rewards/\(name)/std"] = column.count > 1 ? Self.std(column[...]) : 0
        }
        metrics = m
    }

    static func mean(_ x: ArraySlice<Double>) -> Double { x.reduce(0, +) / Double(x.count) }

    /// Bessel-corrected standard deviation (`torch.std`); needs at least two values.
    static func std(_ x: ArraySlice<Double>) -> Double {
        let mu = mean(x)
        return (x.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(x.count - 1)).squareRoot()
    }
}
