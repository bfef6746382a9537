/// What ``GRPOLoss`` returns.
public struct GRPOLossOutput<Scalar: TensorScalar> {
    /// The scalar objective to minimise, with gradients to the policy's per-token log-probabilities.
    public var loss: Tensor<Scalar>
    /// The per-token loss `[B, T]` before masking and normalisation (policy term plus β·KL).
    public var perTokenLoss: Tensor<Scalar>
    /// The completion mask actually used `[B][T]` (after `mask_truncated_completions`).
    public var completionMask: [[Bool]]
    /// ms-swift's metrics: `kl` (β > 0), `clip_ratio/low_mean`, `clip_ratio/high_mean`,
    /// `clip_ratio/region_mean` (or `cispo_clip_ratio` for CISPO), and `entropy/mean`, `entropy/max`,
    /// `entropy/min` when entropies were given. Formulas in ``GRPOLoss``.
    public var metrics: [String: Double]
}
