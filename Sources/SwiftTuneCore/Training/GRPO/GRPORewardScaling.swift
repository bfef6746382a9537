/// What ``GRPOAdvantages`` divides the advantages by (ms-swift's and TRL's `--scale_rewards`): A / (σ + 10⁻⁴),
/// σ the Bessel-corrected standard deviation of the rewards of the completion's group (`group`), of the whole
/// batch (`batch`), or no division (`none`).
public enum GRPORewardScaling: String, CaseIterable, Sendable {
    case group
    case batch
    case none
}
