/// What a preference loss returns.
public struct PreferenceLossOutput<Scalar: TensorScalar> {
    /// The scalar objective to minimise (with gradients to the policy log-probabilities).
    public var loss: Tensor<Scalar>
    /// The per-example losses as the reference returns them: DPO `[P]` including the RPO term (`loss` is their
    /// mean); KTO `[N]`, desirable first; ORPO `[P]` β·logσ(log_odds) (`loss` = NLL − mean); CPO `[P]` before the
    /// `cpo_alpha`·NLL term.
    public var losses: Tensor<Scalar>
    /// β-scaled rewards of the chosen completions (detached values).
    public var chosenRewards: [Double]
    /// β-scaled rewards of the rejected completions (detached values).
    public var rejectedRewards: [Double]
    /// Logged metrics under TRL's names (`rewards/chosen`, `rewards/margins`, `logps/chosen`, `nll_loss`, …).
    public var metrics: [String: Double]
}
