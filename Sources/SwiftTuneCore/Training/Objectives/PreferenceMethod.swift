/// The paired preference loss a ``PreferenceObjective`` minimises (ms-swift's `--rlhf_type`).
///
/// - ``dpo(_:ldAlpha:)``: ``DPOLoss`` against a reference model, with LD-DPO's α applied to the policy's
///   log-probabilities when given (ms-swift's `ld_alpha`).
/// - ``cpo(_:)``: ``CPOLoss``; SimPO is CPO with ``CPOLoss/LossType/simpo`` (ms-swift's `rlhf_type simpo`).
/// - ``orpo(_:)``: ``ORPOLoss``.
///
/// CPO, SimPO and ORPO are reference-free.
public enum PreferenceMethod: Sendable {
    case dpo(DPOLoss, ldAlpha: Double? = nil)
    case cpo(CPOLoss)
    case orpo(ORPOLoss)

    /// Whether the loss compares with a reference model (DPO only).
    public var needsReference: Bool {
        if case .dpo = self { return true }
        return false
    }

    /// The method and every loss option, for the run fingerprint (a resume with other options is refused).
    public var summary: String {
        switch self {
        case let .dpo(l, ld):
            return "dpo loss_type=\(l.lossTypes.map(\.rawValue).joined(separator: ",")) loss_weights=\(l.lossWeights.map { "\($0)" } ?? "nil") "
                + "beta=\(l.beta) label_smoothing=\(l.labelSmoothing) rpo_alpha=\(l.rpoAlpha.map { "\($0)" } ?? "nil") "
                + "discopop_tau=\(l.discopopTau) ld_alpha=\(ld.map { "\($0)" } ?? "nil")"
        case let .cpo(l):
            return "cpo loss_type=\(l.lossType.rawValue) beta=\(l.beta) label_smoothing=\(l.labelSmoothing) "
                + "simpo_gamma=\(l.simpoGamma) cpo_alpha=\(l.cpoAlpha)"
        case let .orpo(l):
            return "orpo beta=\(l.beta)"
        }
    }
}
