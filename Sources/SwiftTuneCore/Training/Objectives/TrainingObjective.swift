import Foundation

/// What a ``Trainer`` minimises: the loss of a micro-batch of the objective's data units.
///
/// The trainer owns the loop (data order, accumulation, clipping, the optimizer, checkpoints); an objective owns the
/// data and the loss. Its data are ``unitCount`` *units* (an SFT sample or packed row, a preference pair, a KTO
/// row…), addressed by index. For one optimizer step the trainer takes `gradientAccumulationSteps` micro-batches of
/// up to `batchSize` unit indices each, and
///
/// 1. asks ``validate(units:model:)`` for every micro-batch before any gradient accumulates;
/// 2. computes the step's normaliser N = ``Trainer/lossNormalizer`` (Σ over the micro-batches of
///    ``normalizerCount(units:)``) — the scored tokens for SFT, the pairs for DPO;
/// 3. for each micro-batch calls ``loss(units:model:normalizer:)`` and back-propagates the returned scalar.
///
/// The loss of a micro-batch must be its *sum* of per-unit (or per-token) losses divided by N, so the accumulated
/// gradient is that of the step's mean loss whatever the split into micro-batches, and the step's logged loss is
/// the sum of the micro-batch losses. An objective that averages per micro-batch instead, as TRL's DPO trainer does
/// (each micro-batch's `losses.mean()`, which transformers divides by the accumulation steps), returns 1 from
/// ``normalizerCount(units:)`` and its micro-batch mean divided by N: N is then the number of micro-batches, and the
/// two rules differ only when a micro-batch is short. Objectives are classes, so a trainer holds `any TrainingObjective` and stays
/// non-generic.
///
/// To add an objective: a class conforming to this protocol in `Training/Objectives/` (see ``SFTObjective``),
/// passed to ``Trainer/init(model:objective:configuration:optimizer:)``.
public protocol TrainingObjective: AnyObject {
    /// The number of data units (one epoch visits each once).
    var unitCount: Int { get }
    /// The units' share of the step's normaliser (≥ 0), e.g. their scored tokens.
    func normalizerCount(units: [Int]) -> Int
    /// The tokens the units run through the model (for tokens per second).
    func tokenCount(units: [Int]) -> Int
    /// Checks that the model can take the units (ids and labels within the vocabulary, rows within its positions).
    ///
    /// - Throws: ``ModelInputError`` (or another typed error) for a unit the model cannot take.
    func validate(units: [Int], model: CausalLanguageModel<Float>) throws
    /// The loss of the units — a scalar (shape `[]`) that records gradients, already divided by `normalizer` —
    /// and metrics to log.
    func loss(units: [Int], model: CausalLanguageModel<Float>, normalizer: Double) throws -> ObjectiveOutput
    /// A hash of the training data (16 hex digits), recorded as ``RunFingerprint/data``.
    var fingerprint: String { get }
    /// The validation loss and metrics (no gradients), `nil` without validation data.
    func evaluate(model: CausalLanguageModel<Float>) throws -> ValidationResult?
    /// State the objective changes while it trains (e.g. `bco_pair`'s running reward moments), as JSON that
    /// ``Trainer/saveCheckpoint(to:)`` writes to `objective_state.json`; `nil` when there is none.
    func checkpointState() throws -> Data?
    /// Restores what ``checkpointState()`` returned (``Trainer/resume(from:)``).
    /// - Throws: ``PreferenceObjectiveError/badObjectiveState(reason:)`` (or another typed error) for bad data.
    func restoreCheckpointState(_ data: Data) throws
}

extension TrainingObjective {
    /// Accepts every unit (objectives whose data were checked when they were built).
    public func validate(units: [Int], model: CausalLanguageModel<Float>) throws {}
    /// No validation data.
    public func evaluate(model: CausalLanguageModel<Float>) throws -> ValidationResult? { nil }
    /// No state besides the data.
    public func checkpointState() throws -> Data? { nil }
    /// Ignores the data (an objective without state).
    public func restoreCheckpointState(_ data: Data) throws {}
}
