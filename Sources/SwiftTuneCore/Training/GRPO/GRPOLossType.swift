/// How ``GRPOLoss`` turns per-token losses `ℓ[b, t]` (masked by the completion mask `m[b, t]`) into one number
/// (ms-swift's and TRL's `--loss_type`).
///
/// | case | loss |
/// |---|---|
/// | `grpo` | mean over sequences of Σₜ ℓ·m / max(Σₜ m, 1) |
/// | `bnpo` | Σ ℓ·m / max(Σ m, 1) over the batch |
/// | `dr_grpo` | Σ ℓ·m / (B · `max_completion_length`) |
/// | `dapo` | Σ ℓ·m / N, N = completion tokens of the whole generation batch (`num_items_in_batch`) |
/// | `cispo` | like `dapo`, with CISPO's per-token loss −sg(min(r, ε_high))·A·log π |
public enum GRPOLossType: String, CaseIterable, Sendable {
    case grpo
    case bnpo
    case drGRPO = "dr_grpo"
    case dapo
    case cispo
}
