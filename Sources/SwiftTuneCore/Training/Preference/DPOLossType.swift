/// The DPO loss variants of TRL / ms-swift (`--loss_type`), spelled as their raw values. With
/// x = (log π(c) − log π(r)) − (log π_ref(c) − log π_ref(r)), a = log π(c) − log π_ref(c),
/// b = log π(r) − log π_ref(r), β the temperature and ε the label smoothing, the per-pair losses are:
///
/// | type | loss |
/// |---|---|
/// | sigmoid | −logσ(βx)(1−ε) − logσ(−βx)ε (cDPO) |
/// | hinge | relu(1 − βx) |
/// | ipo | (x − 1/(2β))², on per-token mean log-probs |
/// | robust | (−logσ(βx)(1−ε) + logσ(−βx)ε) / (1 − 2ε) |
/// | bco_pair | −logσ(βa − δ) − logσ(−(βb − δ)), δ the running mean of the batch-mean reward |
/// | sppo_hard | (a − 1/(2β))² + (b + 1/(2β))² |
/// | nca_pair | −logσ(βa) − ½logσ(−βa) − ½logσ(−βb) |
/// | exo_pair | σ(βx)(logσ(βx) − log(1−ε)) + σ(−βx)(logσ(−βx) − log ε), ε = 10⁻³ when 0 |
/// | aot | sigmoid loss of sort(log π(c) − log π(r)) − sort(log π_ref(c) − log π_ref(r)) |
/// | aot_unpaired | sigmoid loss of sort(a) − sort(b) |
/// | apo_zero | 1 − σ(βa) + σ(βb) |
/// | apo_down | σ(βa) + 1 − σ(β(a − b)) |
/// | discopop | with l = βx, m = σ(l/τ): −logσ(l)(1 − m) + e^(−l) m |
/// | sft | the NLL of the chosen completions, for every pair |
public enum DPOLossType: String, CaseIterable, Codable, Sendable {
    case sigmoid, hinge, ipo, robust
    case bcoPair = "bco_pair"
    case sppoHard = "sppo_hard"
    case ncaPair = "nca_pair"
    case exoPair = "exo_pair"
    case aot
    case aotUnpaired = "aot_unpaired"
    case apoZero = "apo_zero"
    case apoDown = "apo_down"
    case discopop, sft
}
