import Foundation

/// DPO and its variants as ms-swift computes them (its `DPOTrainer.dpo_loss` and `get_batch_loss_metrics`,
/// which override TRL's): one or several ``DPOLossType``s, combined with `lossWeights`:
///
///     losses_p = Σ_k w_k · L_k(p)  (+ rpoAlpha · NLL)      loss = mean_p losses_p
///     rewards  = Σ_k w_k · β (log π − log π_ref)          (detached; accuracies = chosen > rejected)
///
/// where NLL = −Σ_chosen-tokens log π / #chosen tokens (token mean over the whole batch, ms-swift's `nll_loss`).
/// When `ipo` is among the types, every type sees per-token mean log-probabilities (ms-swift divides the
/// per-token log-probs by the completion length before summing, for policy and reference). LD-DPO (`ld_alpha`)
/// is applied when building the policy's ``SequenceLogProbabilities``
/// (``SequenceLogProbabilities/pairs(tokenLogProbabilities:targets:pairCount:lengthDesensitization:)``), as
/// ms-swift applies it to the policy only.
///
/// Differences from TRL's own `dpo_loss` (followed here as ms-swift does): label smoothing enters `sigmoid`,
/// `aot` and `aot_unpaired` directly (cDPO); `exo_pair` with ε = 0 sets ε to 10⁻³ for the rest of the run
/// (ms-swift assigns `self.label_smoothing`; this struct does the same to ``labelSmoothing``); rewards of `sft`
/// are β (log π − log π_ref) like the others.
public struct DPOLoss: Sendable {
    /// The loss types, summed with ``lossWeights``.
    public var lossTypes: [DPOLossType]
    /// One weight per loss type; `nil` = all 1 (ms-swift's `loss_weights`).
    public var lossWeights: [Double]?
    /// β, the KL temperature (ms-swift default 0.1).
    public var beta: Double
    /// ε, cDPO label smoothing (default 0).
    public var labelSmoothing: Double
    /// RPO's α: adds α · NLL of the chosen completions to every pair's loss (`nil` = off).
    public var rpoAlpha: Double?
    /// DiscoPOP's τ (default 0.05).
    public var discopopTau: Double
    /// `bco_pair`'s running reward statistics (updated by every call that uses `bco_pair`).
    public var running = RunningMoments()

    /// A DPO loss with ms-swift's defaults unless given.
    public init(lossTypes: [DPOLossType] = [.sigmoid], lossWeights: [Double]? = nil, beta: Double = 0.1,
                labelSmoothing: Double = 0, rpoAlpha: Double? = nil, discopopTau: Double = 0.05) {
        self.lossTypes = lossTypes
        self.lossWeights = lossWeights
        self.beta = beta
        self.labelSmoothing = labelSmoothing
        self.rpoAlpha = rpoAlpha
        self.discopopTau = discopopTau
    }

    /// Checks the hyperparameters.
    /// - Throws: ``PreferenceLossError`` naming `loss_type`, `loss_weights`, `beta`, `label_smoothing`,
    ///   `discopop_tau` or `rpo_alpha`.
    public func validate() throws {
        guard !lossTypes.isEmpty else { throw PreferenceLossError.emptyBatch(field: "loss_type") }
        if let lossWeights, lossWeights.count != lossTypes.count {
            throw PreferenceLossError.lossWeightsCount(lossTypes: lossTypes.count, weights: lossWeights.count)
        }
        if let bad = lossWeights?.first(where: { !$0.isFinite }) {
            throw PreferenceLossError.invalidHyperparameter(name: "loss_weights", value: bad, requirement: "finite")
        }
        guard beta.isFinite, beta > 0 else {
            throw PreferenceLossError.invalidHyperparameter(name: "beta", value: beta, requirement: "finite and > 0")
        }
        guard labelSmoothing >= 0, labelSmoothing < 0.5 else {
            throw PreferenceLossError.invalidHyperparameter(name: "label_smoothing", value: labelSmoothing,
                                                            requirement: "in [0, 0.5)")
        }
        guard discopopTau.isFinite, discopopTau > 0 else {
            throw PreferenceLossError.invalidHyperparameter(name: "discopop_tau", value: discopopTau,
                                                            requirement: "finite and > 0")
        }
        if let rpoAlpha, !rpoAlpha.isFinite {
            throw PreferenceLossError.invalidHyperparameter(name: "rpo_alpha", value: rpoAlpha, requirement: "finite")
        }
    }

    /// The loss of P preference pairs.
    /// - Parameters:
    ///   - policyChosen: the policy's log-probabilities of the P chosen completions (with gradients).
    ///   - policyRejected: the policy's log-probabilities of the P rejected completions (with gradients).
    ///   - referenceChosen: the reference model's for the chosen completions (treated as constants).
    ///   - referenceRejected: the reference model's for the rejected completions (treated as constants).
    /// - Returns: the mean loss, per-pair `losses` `[P]` (including the RPO term), rewards and metrics
    ///   `rewards/chosen`, `rewards/rejected`, `rewards/accuracies`, `rewards/margins`, `logps/chosen`,
    ///   `logps/rejected`, and `nll_loss` when `rpoAlpha` is set or `sft` is used.
    /// - Throws: ``PreferenceLossError`` for bad hyperparameters (``validate()``), unequal pair counts, or a
    ///   completion with no scored token where a mean or the NLL is needed.
    public mutating func callAsFunction<Scalar: TensorScalar>(
        policyChosen: SequenceLogProbabilities<Scalar>, policyRejected: SequenceLogProbabilities<Scalar>,
        referenceChosen: SequenceLogProbabilities<Scalar>, referenceRejected: SequenceLogProbabilities<Scalar>
    ) throws -> PreferenceLossOutput<Scalar> {
        try validate()
        let pairs = policyChosen.count
        guard pairs > 0 else { throw PreferenceLossError.emptyBatch(field: "policyChosen") }
        for (name, s) in [("policyRejected", policyRejected), ("referenceChosen", referenceChosen),
                          ("referenceRejected", referenceRejected)] where s.count != pairs {
            throw PreferenceLossError.shapeMismatch(field: name, expected: "\(pairs) sequences", got: "\(s.count)")
        }
        let useMeans = lossTypes.contains(.ipo)
        func logps(_ s: SequenceLogProbabilities<Scalar>, _ name: String) throws -> Tensor<Scalar> {
            useMeans ? try s.means(field: name) : s.sums
        }
        let pc = try logps(policyChosen, "policyChosen"), pr = try logps(policyRejected, "policyRejected")
        let rc = try logps(referenceChosen, "referenceChosen").detached
        let rr = try logps(referenceRejected, "referenceRejected").detached
        let needsNLL = rpoAlpha != nil || lossTypes.contains(.sft)
        let nll = needsNLL ? try policyChosen.negativeLogLikelihood(field: "policyChosen") : nil

        var losses: Tensor<Scalar>?
        var weightSum = 0.0
        for (k, type) in lossTypes.enumerated() {
            let w = lossWeights?[k] ?? 1
            let l = try typeLoss(type, pc: pc, pr: pr, rc: rc, rr: rr, nll: nll)
            let weighted = l.scaled(by: Scalar(w))
            losses = losses.map { $0 + weighted } ?? weighted
            weightSum += w
        }
        var total = losses!
        if let rpoAlpha, let nll { total = total + nll.scaled(by: Scalar(rpoAlpha)).broadcast(to: [pairs]) }
        let (pcv, prv, rcv, rrv) = (pc.detached.doubleValues, pr.detached.doubleValues, rc.doubleValues, rr.doubleValues)
        let chosenRewards = (0..<pairs).map { weightSum * beta * (pcv[$0] - rcv[$0]) }
        let rejectedRewards = (0..<pairs).map { weightSum * beta * (prv[$0] - rrv[$0]) }
        var metrics = PreferenceMetrics.pairwise(chosenRewards: chosenRewards, rejectedRewards: rejectedRewards,
                                                 chosenLogps: pcv, rejectedLogps: prv)
        if needsNLL, let nll { metrics["nll_loss"] = nll.item.doubleValue }
        return PreferenceLossOutput(loss: total.mean(), losses: total, chosenRewards: chosenRewards,
                                    rejectedRewards: rejectedRewards, metrics: metrics)
    }
}
