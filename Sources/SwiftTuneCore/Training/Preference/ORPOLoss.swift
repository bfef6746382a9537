/// ORPO (TRL `ORPOTrainer.odds_ratio_loss` and `get_batch_loss_metrics`), on per-token mean log-probabilities
/// c, r of the chosen and rejected completions:
///
///     log_odds = (c − r) − (log1mexp(c) − log1mexp(r))      (log1mexp(x) = log(1 − eˣ))
///     losses   = β · logσ(log_odds)                         loss = NLL − mean(losses)
///
/// NLL is the token-mean NLL of the chosen completions. ms-swift passes the labels as the input ids, so its NLL
/// covers the completion tokens only (TRL's covers prompt and completion); this follows ms-swift.
/// Rewards are β·c and β·r.
public struct ORPOLoss: Sendable {
    /// β, the weight of the odds-ratio term (default 0.1).
    public var beta: Double

    /// An ORPO loss with β (default 0.1).
    public init(beta: Double = 0.1) { self.beta = beta }

    /// The loss of P pairs.
    /// - Parameters:
    ///   - chosen: the policy's chosen completions (with gradients).
    ///   - rejected: the policy's rejected completions.
    /// - Returns: metrics as ``DPOLoss`` plus `nll_loss`, `log_odds_ratio` (mean logσ(log_odds)) and
    ///   `log_odds_chosen` (mean log_odds).
    /// - Throws: ``PreferenceLossError`` for a bad β, unequal pair counts or an empty completion.
    public func callAsFunction<Scalar: TensorScalar>(
        chosen: SequenceLogProbabilities<Scalar>, rejected: SequenceLogProbabilities<Scalar>
    ) throws -> PreferenceLossOutput<Scalar> {
        guard beta.isFinite, beta > 0 else {
            throw PreferenceLossError.invalidHyperparameter(name: "beta", value: beta, requirement: "finite and > 0")
        }
        guard chosen.count > 0 else { throw PreferenceLossError.emptyBatch(field: "chosen") }
        guard rejected.count == chosen.count else {
            throw PreferenceLossError.shapeMismatch(field: "rejected", expected: "\(chosen.count) sequences",
                                                    got: "\(rejected.count)")
        }
        let c = try chosen.means(field: "chosen"), r = try rejected.means(field: "rejected")
        let nll = try chosen.negativeLogLikelihood(field: "chosen")
        let logOdds = (c - r) - (c.log1mexp() - r.log1mexp())
        let ratio = logOdds.logSigmoid()
        let losses = ratio.scaled(by: Scalar(beta))
        let (cv, rv) = (c.detached.doubleValues, r.detached.doubleValues)
        let chosenRewards = cv.map { beta * $0 }, rejectedRewards = rv.map { beta * $0 }
        var metrics = PreferenceMetrics.pairwise(chosenRewards: chosenRewards, rejectedRewards: rejectedRewards,
                                                 chosenLogps: cv, rejectedLogps: rv)
        metrics["nll_loss"] = nll.item.doubleValue
        metrics["log_odds_ratio"] = ratio.mean().item.doubleValue
        metrics["log_odds_chosen"] = logOdds.mean().item.doubleValue
        return PreferenceLossOutput(loss: nll - losses.mean(), losses: losses, chosenRewards: chosenRewards,
                                    rejectedRewards: rejectedRewards, metrics: metrics)
    }
}
