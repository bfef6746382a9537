/// How ``GRPOAdvantages`` turns the rewards of a group of K completions of one prompt into advantages
/// (ms-swift's `--advantage_estimator`).
///
/// - `grpo`: A = r − mean_group(r);
/// - `rloo`: A = K/(K−1) · (r − mean_group(r)), the leave-one-out baseline (plain r − mean when K = 1);
/// - `reinforce_plus_plus`: A = r − mean_group(r), scaled by the standard deviation of the *advantages*
///   (group or batch) rather than of the rewards.
public enum GRPOAdvantageEstimator: String, CaseIterable, Sendable {
    case grpo
    case rloo
    case reinforcePlusPlus = "reinforce_plus_plus"
}
