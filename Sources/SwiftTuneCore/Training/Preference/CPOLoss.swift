/// CPO and SimPO (TRL `CPOTrainer.cpo_loss` and `get_batch_loss_metrics`), reference-free. With c, r the
/// policy's log-probabilities of the chosen / rejected completions (per-token means for `ipo` and `simpo`,
/// sums otherwise), x = c − r, β the temperature, ε the label smoothing:
///
/// | type | loss |
/// |---|---|
/// | sigmoid | −logσ(βx)(1−ε) − logσ(−βx)ε |
/// | hinge | relu(1 − βx) |
/// | ipo | (x − 1/(2β))² |
/// | simpo | the sigmoid loss of x − γ/β |
///
///     loss = mean(losses) + cpoAlpha · NLL          (rewards β·c, β·r)
///
/// NLL is the token-mean NLL of the chosen completions (ms-swift: completion tokens only); ms-swift's SimPO
/// keeps `cpo_alpha` (default 1, CPO-SimPO); set it to 0 for pure SimPO.
public struct CPOLoss: Sendable {
    /// The CPO loss types (`--loss_type`).
    public enum LossType: String, CaseIterable, Codable, Sendable { case sigmoid, hinge, ipo, simpo }
    /// `sigmoid` (default), `hinge`, `ipo` or `simpo`.
    public var lossType: LossType
    /// β (ms-swift default 0.1; 2.0 for SimPO).
    public var beta: Double
    /// ε (default 0).
    public var labelSmoothing: Double
    /// γ, SimPO's target reward margin (default 1).
    public var simpoGamma: Double
    /// Weight of the NLL term (default 1).
    public var cpoAlpha: Double

    /// A CPO loss; `beta` `nil` takes ms-swift's default for the type (2 for SimPO, else 0.1).
    public init(lossType: LossType = .sigmoid, beta: Double? = nil, labelSmoothing: Double = 0,
                simpoGamma: Double = 1, cpoAlpha: Double = 1) {
        self.lossType = lossType
        self.beta = beta ?? (lossType == .simpo ? 2 : 0.1)
        self.labelSmoothing = labelSmoothing
        self.simpoGamma = simpoGamma
        self.cpoAlpha = cpoAlpha
    }

    /// The loss of P pairs.
    /// - Parameters:
    ///   - chosen: the policy's chosen completions (with gradients).
    ///   - rejected: the policy's rejected completions.
    /// - Returns: metrics as ``DPOLoss`` plus `nll_loss`.
    /// - Throws: ``PreferenceLossError`` for bad hyperparameters, unequal pair counts or an empty completion.
    public func callAsFunction<Scalar: TensorScalar>(
        chosen: SequenceLogProbabilities<Scalar>, rejected: SequenceLogProbabilities<Scalar>
    ) throws -> PreferenceLossOutput<Scalar> {
        guard beta.isFinite, beta > 0 else {
            throw PreferenceLossError.invalidHyperparameter(name: "beta", value: beta, requirement: "finite and > 0")
        }
        guard labelSmoothing >= 0, labelSmoothing <= 1 else {
            throw PreferenceLossError.invalidHyperparameter(name: "label_smoothing", value: labelSmoothing,
                                                            requirement: "in [0, 1]")
        }
        for (name, value) in [("simpo_gamma", simpoGamma), ("cpo_alpha", cpoAlpha)] where !value.isFinite {
            throw PreferenceLossError.invalidHyperparameter(name: name, value: value, requirement: "finite")
        }
        guard chosen.count > 0 else { throw PreferenceLossError.emptyBatch(field: "chosen") }
        guard rejected.count == chosen.count else {
            throw PreferenceLossError.shapeMismatch(field: "rejected", expected: "\(chosen.count) sequences",
                                                    got: "\(rejected.count)")
        }
        let average = lossType == .ipo || lossType == .simpo
        let c = average ? try chosen.means(field: "chosen") : chosen.sums
        let r = average ? try rejected.means(field: "rejected") : rejected.sums
        let b = Scalar(beta), e = Scalar(labelSmoothing)
        var x = c - r
        let losses: Tensor<Scalar>
        switch lossType {
        case .simpo, .sigmoid:
            if lossType == .simpo { x = x - Scalar(simpoGamma / beta) }
            losses = -((x * b).logSigmoid() * (1 - e)) - (x * (-b)).logSigmoid() * e
        case .hinge: losses = (1 - x * b).relu()
        case .ipo: losses = (x - Scalar(1 / (2 * beta))).square()
        }
        var loss = losses.mean()
        var nllValue = 0.0
        if cpoAlpha != 0 {
            let nll = try chosen.negativeLogLikelihood(field: "chosen")
            nllValue = nll.item.doubleValue
            loss = loss + nll.scaled(by: Scalar(cpoAlpha))
        }
        let (cv, rv) = (c.detached.doubleValues, r.detached.doubleValues)
        let chosenRewards = cv.map { beta * $0 }, rejectedRewards = rv.map { beta * $0 }
        var metrics = PreferenceMetrics.pairwise(chosenRewards: chosenRewards, rejectedRewards: rejectedRewards,
                                                 chosenLogps: cv, rejectedLogps: rv)
        metrics["nll_loss"] = nllValue
        return PreferenceLossOutput(loss: loss, losses: losses, chosenRewards: chosenRewards,
                                    rejectedRewards: rejectedRewards, metrics: metrics)
    }
}
