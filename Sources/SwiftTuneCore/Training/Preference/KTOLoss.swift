/// KTO on unpaired completions labelled desirable or undesirable (TRL `KTOTrainer.kto_loss`):
///
///     z  = max(0, mean(log π(KL) − log π_ref(KL)))        (detached; KL completions = mismatched prompt/answer)
///     L_desirable   = 1 − σ(β (log π(y) − log π_ref(y) − z))
///     L_undesirable = 1 − σ(β (z − (log π(y) − log π_ref(y))))
///     losses = [λ_D · L_desirable…, λ_U · L_undesirable…]    loss = mean(losses)
///
/// `apo_zero_unpaired` uses 1 − σ(β·ratio) and σ(β·ratio) instead and no KL (z = 0).
public struct KTOLoss: Sendable {
    /// The KTO variants (`--loss_type`).
    public enum LossType: String, CaseIterable, Codable, Sendable {
        case kto
        case apoZeroUnpaired = "apo_zero_unpaired"
    }
    /// `kto` (default) or `apo_zero_unpaired`.
    public var lossType: LossType
    /// β (default 0.1).
    public var beta: Double
    /// λ_D, weight of desirable examples (default 1).
    public var desirableWeight: Double
    /// λ_U, weight of undesirable examples (default 1).
    public var undesirableWeight: Double

    /// A KTO loss with ms-swift's defaults unless given.
    public init(lossType: LossType = .kto, beta: Double = 0.1, desirableWeight: Double = 1,
                undesirableWeight: Double = 1) {
        self.lossType = lossType
        self.beta = beta
        self.desirableWeight = desirableWeight
        self.undesirableWeight = undesirableWeight
    }

    /// Whether the loss needs the KL completions (TRL's `calculate_KL`).
    public var usesKL: Bool { lossType == .kto }

    /// The loss of N labelled completions.
    /// - Parameters:
    ///   - policy: `[N]` summed policy log-probabilities of the completions (with gradients).
    ///   - reference: `[N]` the reference model's (constants).
    ///   - desirable: N labels, `true` = desirable (chosen).
    ///   - policyKL: `[M]` policy log-probabilities of the mismatched KL completions (needed for `kto`;
    ///     treated as a constant, as TRL computes it without gradients).
    ///   - referenceKL: `[M]` the reference model's for the KL completions.
    /// - Returns: `losses` ordered desirable first, then undesirable (TRL's `torch.cat`); metrics `kl`,
    ///   `rewards/chosen`, `rewards/rejected`, `logps/chosen`, `logps/rejected` (means over the examples of each
    ///   kind, present only when there is one), and `rewards/margins` when both kinds are present.
    /// - Throws: ``PreferenceLossError`` for bad hyperparameters, mismatched lengths or missing KL values.
    public func callAsFunction<Scalar: TensorScalar>(
        policy: Tensor<Scalar>, reference: Tensor<Scalar>, desirable: [Bool],
        policyKL: Tensor<Scalar>? = nil, referenceKL: Tensor<Scalar>? = nil
    ) throws -> PreferenceLossOutput<Scalar> {
        for (name, value) in [("beta", beta), ("desirable_weight", desirableWeight),
                              ("undesirable_weight", undesirableWeight)] where !(value.isFinite && value > 0) {
            throw PreferenceLossError.invalidHyperparameter(name: name, value: value, requirement: "finite and > 0")
        }
        let n = desirable.count
        guard n > 0 else { throw PreferenceLossError.emptyBatch(field: "desirable") }
        for (name, t) in [("policy", policy), ("reference", reference)] where t.shape != [n] {
            throw PreferenceLossError.shapeMismatch(field: name, expected: "[\(n)]", got: "\(t.shape)")
        }
        var kl = 0.0
        if usesKL {
            guard let policyKL, let referenceKL else { throw PreferenceLossError.emptyBatch(field: "policyKL") }
            guard policyKL.rank == 1, policyKL.count > 0, referenceKL.shape == policyKL.shape else {
                throw PreferenceLossError.shapeMismatch(field: "referenceKL", expected: "\(policyKL.shape), non-empty",
                                                        got: "\(referenceKL.shape)")
            }
            let d = zip(policyKL.detached.doubleValues, referenceKL.detached.doubleValues).map { $0 - $1 }
            kl = max(0, d.reduce(0, +) / Double(d.count))
        }
        let chosen = desirable.indices.filter { desirable[$0] }, rejected = desirable.indices.filter { !desirable[$0] }
        let ratio = policy - reference.detached
        let b = Scalar(beta), z = Scalar(kl)
        var parts: [Tensor<Scalar>] = []
        if !chosen.isEmpty {
            let c = ratio.indexSelect(axis: 0, indices: chosen)
            let l = lossType == .kto ? 1 - ((c - z) * b).sigmoid() : 1 - (c * b).sigmoid()
            parts.append(l.scaled(by: Scalar(desirableWeight)))
        }
        if !rejected.isEmpty {
            let r = ratio.indexSelect(axis: 0, indices: rejected)
            let l = lossType == .kto ? 1 - ((z - r) * b).sigmoid() : (r * b).sigmoid()
            parts.append(l.scaled(by: Scalar(undesirableWeight)))
        }
        let losses = Tensor.concatenate(parts, axis: 0)
        let ratios = ratio.detached.doubleValues, logps = policy.detached.doubleValues
        let chosenRewards = chosen.map { beta * ratios[$0] }, rejectedRewards = rejected.map { beta * ratios[$0] }
        func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(xs.count) }
        var metrics = ["kl": kl]
        if !chosen.isEmpty {
            metrics["rewards/chosen"] = mean(chosenRewards)
            metrics["logps/chosen"] = mean(chosen.map { logps[$0] })
        }
        if !rejected.isEmpty {
            metrics["rewards/rejected"] = mean(rejectedRewards)
            metrics["logps/rejected"] = mean(rejected.map { logps[$0] })
        }
        if let c = metrics["rewards/chosen"], let r = metrics["rewards/rejected"] { metrics["rewards/margins"] = c - r }
        return PreferenceLossOutput(loss: losses.mean(), losses: losses, chosenRewards: chosenRewards,
                                    rejectedRewards: rejectedRewards, metrics: metrics)
    }
}
