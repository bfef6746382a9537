import Foundation

/// The GRPO policy loss as ms-swift computes it (`GRPOTrainer._compute_loss_and_metrics` in
/// `swift/rlhf_trainers/grpo_trainer.py`), for B completions padded to T tokens.
///
/// Inputs per token: the policy's log-probability ℓ = log π (with gradients), the old policy's ℓ_old (the
/// sampling policy, a constant; `nil` = ℓ itself detached, the on-policy case), the reference model's ℓ_ref
/// (constant; needed when β > 0), the completion mask m, and one advantage A[b] per completion
/// (``GRPOAdvantages``). With the importance ratio r (``GRPOImportanceSamplingLevel``):
///
///     clipped PPO (grpo, bnpo, dr_grpo, dapo):
///         ℓ_pg = −min(r̃ · A, clip(r, 1 − ε_low, 1 + ε_high) · A),   r̃ = min(r, δ) when δ is set, else r
///     cispo:
///         ℓ_pg = −sg(min(r, ε_high)) · A · ℓ
///     KL (β > 0), k3 with ms-swift's clamps:
///         d = clip(ℓ_ref − ℓ, −20, 20),   kl = clip(eᵈ − d − 1, −10, 10),   ℓ_tok = ℓ_pg + β · kl
///
/// then normalised per ``GRPOLossType``. `mask_truncated_completions` zeroes the mask of truncated completions
/// before anything is computed (the sequence ratio, the losses, the metrics), so they add nothing to the loss
/// and count nowhere — except in `dapo`/`cispo`'s N and `dr_grpo`'s B, which ms-swift computes before.
///
/// On-policy (one iteration, ℓ_old = sg(ℓ)) r = 1 and the clipped objective's value is −A per token: its mean over
/// a group is 0 by construction (A is centred per group), so the GRPO loss hovers near 0 (plus β·kl) while its
/// gradient, A·∇ℓ, is not 0.
///
/// Metrics (ms-swift's, token means over the final mask, Σ m clamped to ≥ 1): `kl` = mean kl;
/// `clip_ratio/low_mean` = mean of [r̃ < 1 − ε_low ∧ A < 0], `clip_ratio/high_mean` = mean of
/// [r̃ > 1 + ε_high ∧ A > 0], `clip_ratio/region_mean` = mean of their union; for CISPO only
/// `cispo_clip_ratio` = mean of [r > ε_high ∧ A > 0]. With one process ms-swift's `low_min` and `high_max` equal
/// the means and are not repeated here. `entropy/mean|max|min`: over the completions of each completion's mean
/// token entropy (positions outside the mask before truncation masking ignored, as ms-swift computes them).
///
/// Differences from TRL (followed here as ms-swift does): TRL's k3 has no clamps; TRL's `dapo`/`cispo` divide by
/// N · gradient-accumulation-steps / steps-per-generation (ms-swift: N / processes, here N); TRL's clip metrics
/// with `sequence` importance sampling average one value per sequence, ms-swift's (here) every masked token;
/// TRL has no `sequence_token` level.
public struct GRPOLoss: Sendable {
    /// ``GRPOLossType`` (ms-swift default `grpo`).
    public var lossType: GRPOLossType
    /// ``GRPOImportanceSamplingLevel`` (default `token`).
    public var importanceSamplingLevel: GRPOImportanceSamplingLevel
    /// ε_low = `epsilon` (default 0.2).
    public var epsilon: Double
    /// ε_high = `epsilon_high`; nil = `epsilon`. For CISPO it is the ratio's cap itself.
    public var epsilonHigh: Double?
    /// δ, the two-sided clipping bound on r̃ (`delta`; nil = off).
    public var delta: Double?
    /// β, the KL coefficient (ms-swift default 0.04; 0 = no KL term and no reference needed).
    public var beta: Double
    /// `max_completion_length`, the `dr_grpo` normaliser (required for it).
    public var maxCompletionLength: Int?
    /// `mask_truncated_completions` (ms-swift's `overlong_filter`): truncated completions are left out.
    public var maskTruncatedCompletions: Bool

    /// A GRPO loss with ms-swift's defaults unless given.
    public init(lossType: GRPOLossType = .grpo, importanceSamplingLevel: GRPOImportanceSamplingLevel = .token,
                epsilon: Double = 0.2, epsilonHigh: Double? = nil, delta: Double? = nil, beta: Double = 0.04,
                maxCompletionLength: Int? = nil, maskTruncatedCompletions: Bool = false) {
        self.lossType = lossType
        self.importanceSamplingLevel = importanceSamplingLevel
        self.epsilon = epsilon
        self.epsilonHigh = epsilonHigh
        self.delta = delta
        self.beta = beta
        self.maxCompletionLength = maxCompletionLength
        self.maskTruncatedCompletions = maskTruncatedCompletions
    }

    /// ε_high as used: `epsilonHigh ?? epsilon`.
    public var effectiveEpsilonHigh: Double { epsilonHigh ?? epsilon }

    /// Checks the hyperparameters.
    /// - Throws: ``GRPOError/invalidHyperparameter(name:value:requirement:)`` naming `epsilon`, `epsilon_high`,
    ///   `delta`, `beta` or `max_completion_length`.
    public func validate() throws {
        guard epsilon.isFinite, epsilon >= 0 else {
            throw GRPOError.invalidHyperparameter(name: "epsilon", value: epsilon, requirement: "finite and ≥ 0")
        }
        if let epsilonHigh, !(epsilonHigh.isFinite && epsilonHigh >= 0) {
            throw GRPOError.invalidHyperparameter(name: "epsilon_high", value: epsilonHigh, requirement: "finite and ≥ 0")
        }
        if let delta, !(delta.isFinite && delta > 0) {
            throw GRPOError.invalidHyperparameter(name: "delta", value: delta, requirement: "finite and > 0")
        }
        guard beta.isFinite, beta >= 0 else {
            throw GRPOError.invalidHyperparameter(name: "beta", value: beta, requirement: "finite and ≥ 0")
        }
        if lossType == .drGRPO {
            guard let maxCompletionLength, maxCompletionLength >= 1 else {
                throw GRPOError.invalidHyperparameter(name: "max_completion_length",
                                                      value: Double(maxCompletionLength ?? 0),
                                                      requirement: "≥ 1 (dr_grpo divides by it)")
            }
        }
    }

    /// The loss of B completions.
    /// - Parameters:
    ///   - policy: ℓ, the policy's per-token log-probabilities `[B, T]` (with gradients; values outside the
    ///     mask are ignored but must be finite, like every value of `oldPolicy` and `reference`).
    ///   - oldPolicy: ℓ_old `[B, T]` (constants); nil = on-policy, ℓ detached.
    ///   - reference: ℓ_ref `[B, T]` (constants); required when β > 0.
    ///   - advantages: A `[B]`.
    ///   - completionMask: m `[B][T]`: true at the completion's scored tokens.
    ///   - truncated: `[B]`, true for a completion cut at `max_completion_length` (nil = none).
    ///   - itemsInBatch: N for `dapo`/`cispo`, the completion tokens of the whole generation batch when this call
    ///     sees part of it; nil = Σ m of this call (before truncation masking).
    ///   - entropies: per-token entropies of the policy `[B][T]` for the `entropy/*` metrics (nil = not logged).
    /// - Returns: the loss, the per-token losses and the metrics.
    /// - Throws: ``GRPOError`` for bad hyperparameters (``validate()``), shapes that disagree, a missing
    ///   reference when β > 0, or a non-finite log-probability (index into the flattened `[B·T]`), advantage or N.
    public func callAsFunction<Scalar: TensorScalar>(
        policy: Tensor<Scalar>, oldPolicy: Tensor<Scalar>? = nil, reference: Tensor<Scalar>? = nil,
        advantages: [Double], completionMask: [[Bool]], truncated: [Bool]? = nil, itemsInBatch: Double? = nil,
        entropies: [[Double]]? = nil
    ) throws -> GRPOLossOutput<Scalar> {
        try validate()
        let (b, t) = try checkShapes(policy: policy, oldPolicy: oldPolicy, reference: reference,
                                     advantages: advantages, completionMask: completionMask, truncated: truncated,
                                     entropies: entropies)
        let itemCount = Double(completionMask.reduce(0) { $0 + $1.filter { $0 }.count })
        let n = itemsInBatch ?? itemCount
        if let itemsInBatch, !(itemsInBatch.isFinite && itemsInBatch > 0) {
            throw GRPOError.invalidHyperparameter(name: "num_items_in_batch", value: itemsInBatch,
                                                  requirement: "finite and > 0")
        }
        var mask = completionMask
        if maskTruncatedCompletions, let truncated {
            for i in 0..<b where truncated[i] { mask[i] = [Bool](repeating: false, count: t) }
        }
        let maskTensor = Tensor<Scalar>(shape: [b, t], scalars: mask.flatMap { $0.map { $0 ? 1 : 0 } })
        let rowCounts = mask.map { Swift.max(Double($0.filter { $0 }.count), 1) }
        let tokenCount = Swift.max(Double(mask.reduce(0) { $0 + $1.filter { $0 }.count }), 1)

        let old = oldPolicy?.detached ?? policy.detached
        let logRatio = policy - old
        let rowCountTensor = Tensor<Scalar>(shape: [b, 1], scalars: rowCounts.map { Scalar($0) })
        func sequenceLogRatio() -> Tensor<Scalar> {
            (logRatio * maskTensor).sum(axis: 1, keepingDimension: true) / rowCountTensor
        }
        let logWeights: Tensor<Scalar>
        switch importanceSamplingLevel {
        case .token: logWeights = logRatio
        case .sequence: logWeights = sequenceLogRatio()
        case .sequenceToken: logWeights = policy - policy.detached + sequenceLogRatio().detached
        }
        var ratio = logWeights.exp()
        let a = Tensor<Scalar>(shape: [b, 1], scalars: advantages.map { Scalar($0) })
        let epsLow = epsilon, epsHigh = effectiveEpsilonHigh
        var perToken: Tensor<Scalar>
        if lossType == .cispo {
            let capped = ratio.detached.clamped(max: epsHigh)
            perToken = -capped * a * policy
        } else {
            let clipped = ratio.clamped(min: 1 - epsLow, max: 1 + epsHigh)
            if let delta { ratio = ratio.clamped(max: delta) }
            // −min(x, y) = max(−x, −y); at ties the first argument takes the gradient, which equals PyTorch's
            // half-and-half split there (both sides have the same value and, inside the clip range, gradient).
            perToken = Tensor.maximum(-(ratio * a), -(clipped * a))
        }
        if perToken.shape != [b, t] { perToken = perToken.broadcast(to: [b, t]) }
        var kl: Tensor<Scalar>?
        if beta != 0, let reference {
            let d = (reference.detached - policy).clamped(min: -20, max: 20)
            let k = (d.exp() - d - 1).clamped(min: -10, max: 10)
            kl = k
            perToken = perToken + k * Scalar(beta)
        }
        let masked = perToken * maskTensor
        let loss: Tensor<Scalar>
        switch lossType {
        case .grpo: loss = (masked.sum(axis: 1, keepingDimension: true) / rowCountTensor).mean()
        case .bnpo: loss = masked.sum() / Scalar(tokenCount)
        case .drGRPO: loss = masked.sum() / Scalar(Double(b * (maxCompletionLength ?? 1)))
        case .dapo, .cispo: loss = masked.sum() / Scalar(n)
        }

        var metrics: [String: Double] = [:]
        func tokenMean(_ values: [Double]) -> Double {
            var s = 0.0
            for i in 0..<b { for j in 0..<t where mask[i][j] { s += values[i * t + j] } }
            return s / tokenCount
        }
        if let kl { metrics["kl"] = tokenMean(kl.detached.doubleValues) }
        let r = ratio.detached.doubleValues, rowStride = r.count == b ? 1 : t
        func indicator(_ test: (Double, Double) -> Bool) -> [Double] {
            (0..<(b * t)).map { test(r[($0 / t) * rowStride + ($0 % t) % rowStride], advantages[$0 / t]) ? 1 : 0 }
        }
        if lossType == .cispo {
            metrics["cispo_clip_ratio"] = tokenMean(indicator { $0 > epsHigh && $1 > 0 })
        } else {
            let low = indicator { $0 < 1 - epsLow && $1 < 0 }, high = indicator { $0 > 1 + epsHigh && $1 > 0 }
            metrics["clip_ratio/low_mean"] = tokenMean(low)
            metrics["clip_ratio/high_mean"] = tokenMean(high)
            metrics["clip_ratio/region_mean"] = tokenMean(zip(low, high).map { Swift.max($0, $1) })
        }
        if let entropies { metrics.merge(Self.entropyMetrics(entropies, mask: completionMask)) { $1 } }
        return GRPOLossOutput(loss: loss, perTokenLoss: perToken, completionMask: mask, metrics: metrics)
    }
}
