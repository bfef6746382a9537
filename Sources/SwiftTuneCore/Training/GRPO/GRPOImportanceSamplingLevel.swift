/// Where ``GRPOLoss`` takes the importance ratio r = π/π_old (ms-swift's `--importance_sampling_level`).
///
/// With the per-token log-ratio δ[b, t] = log π − log π_old and the completion mask m:
/// - `token`: log r[b, t] = δ[b, t] (GRPO);
/// - `sequence`: log r[b] = Σₜ δ·m / max(Σₜ m, 1), one ratio per completion (GSPO);
/// - `sequence_token`: log r[b, t] = log π[b, t] − sg(log π[b, t]) + sg(log r[b]) — the sequence ratio's value
///   with a per-token gradient (GSPO-token; ms-swift only, TRL has no such level).
public enum GRPOImportanceSamplingLevel: String, CaseIterable, Sendable {
    case token
    case sequence
    case sequenceToken = "sequence_token"
}
