import Foundation

/// Paired preference training — DPO (every ``DPOLossType``), CPO, SimPO, ORPO — as a ``TrainingObjective``.
///
/// A unit is a ``PreferencePair``. A micro-batch of P pairs is ONE forward pass of 2P sequences
/// (``PreferenceBatch``: chosen rows 0..<P, rejected P..<2P, padded, or packed with
/// ``TrainingConfiguration/packing``), whose per-token log-probabilities are summed per sequence
/// (``PreferenceBatch/gathered(_:)``, ``SequenceLogProbabilities/pairs(tokenLogProbabilities:targets:pairCount:lengthDesensitization:)``).
/// DPO's reference log-probabilities come from the ``ReferencePolicy`` without gradients — per micro-batch, or
/// once for every unit before training with ``precomputeReferenceLogProbabilities()`` (TRL's
/// `precompute_ref_log_probs`; the reference then costs nothing per step).
///
/// As TRL, the loss of a micro-batch is the mean over its pairs of the method's per-pair loss; the objective
/// returns ``normalizerCount(units:)`` = 1 per micro-batch and divides that mean by the step's normaliser N (the
/// number of micro-batches), so a step's loss is the mean of its micro-batch means:
///
///     L_step = (1/N) Σ_micro-batches mean_p loss_p
///
/// Metrics (`rewards/chosen`, `rewards/rejected`, `rewards/accuracies`, `rewards/margins`, `logps/chosen`,
/// `logps/rejected`, `nll_loss` when used, ORPO's `log_odds_*`) are each micro-batch's means, averaged over the
/// step's micro-batches (``MetricValue/mean(_:)``), as TRL stores and averages them.
///
/// `bco_pair`'s running moments are the objective's state: they go into checkpoints
/// (``checkpointState()``), so a resumed run continues them exactly. Validation leaves them unchanged.
public final class PreferenceObjective: TrainingObjective {
    /// The training pairs, one unit each.
    public let pairs: [PreferencePair]
    /// The validation pairs (scored by ``evaluate(model:)`` in micro-batches of the batch size).
    public let validationPairs: [PreferencePair]
    /// The loss and its state (`bco_pair`'s running moments).
    public private(set) var method: PreferenceMethod
    /// The reference model (DPO), `nil` for the reference-free methods.
    public let reference: ReferencePolicy<Float>?
    /// Whether a micro-batch packs its 2P sequences into rows of ``capacity`` tokens.
    public let packing: Bool
    /// The packed row length (the effective max length).
    public let capacity: Int
    /// The padding id.
    public let padID: Int
    let batchSize: Int
    /// Reference sums per training / validation pair once precomputed: `[pair] → (chosen, rejected)`.
    var referenceCache: [(chosen: Float, rejected: Float)]?
    var validationReferenceCache: [(chosen: Float, rejected: Float)]?
    public let fingerprint: String

    /// - Parameters:
    ///   - model: the policy (ids, labels and lengths are checked against it).
    ///   - pairs: the training pairs (at least one).
    ///   - validationPairs: pairs for ``evaluate(model:)``.
    ///   - method: the loss.
    ///   - reference: the reference policy; required by DPO, ignored by the reference-free methods.
    ///   - configuration: batch size and packing.
    ///   - padID: the tokenizer's padding id.
    /// - Throws: ``TrainingError`` (no pairs, a bad setting, an id outside the vocabulary, a sequence longer than
    ///   the model's positions), ``PreferenceObjectiveError/missingReference(method:)``, ``PreferenceLossError``
    ///   for bad loss hyperparameters.
    public init(model: CausalLanguageModel<Float>, pairs: [PreferencePair], validationPairs: [PreferencePair] = [],
                method: PreferenceMethod, reference: ReferencePolicy<Float>?, configuration: TrainingConfiguration,
                padID: Int = 0) throws {
        guard !pairs.isEmpty else { throw TrainingError.noSamples }
        try configuration.validate()
        switch method {
        case let .dpo(loss, ld):
            try loss.validate()
            guard reference != nil else { throw PreferenceObjectiveError.missingReference(method: "dpo") }
            if let ld, !(ld.isFinite && ld >= 0 && ld <= 1) {
                throw PreferenceLossError.invalidHyperparameter(name: "ld_alpha", value: ld, requirement: "in [0, 1]")
            }
        case .cpo, .orpo: break
        }
        let positions = model.configuration.maxPositions
        for pair in pairs + validationPairs {
            try pair.validate(vocabularySize: model.configuration.vocabularySize)
            for s in [pair.chosen, pair.rejected] where s.ids.count > positions {
                throw TrainingError.sampleTooLong(length: s.ids.count, maxPositions: positions)
            }
        }
        self.pairs = pairs
        self.validationPairs = validationPairs
        self.method = method
        self.reference = method.needsReference ? reference : nil
        packing = configuration.packing
        capacity = configuration.effectiveMaxLength(modelMaxPositions: positions)
        self.padID = padID
        batchSize = max(1, configuration.batchSize)
        var hash = FNV1a()
        hash.add(method.summary)
        for p in pairs {
            hash.add(p.promptIDs)
            hash.add(p.chosenIDs)
            hash.add(p.chosenLabels)
            hash.add(p.rejectedIDs)
            hash.add(p.rejectedLabels)
        }
        fingerprint = hash.hex
    }

    public var unitCount: Int { pairs.count }

    /// 1 per micro-batch: the loss is the mean over the micro-batch's pairs (TRL).
    public func normalizerCount(units: [Int]) -> Int { units.isEmpty ? 0 : 1 }

    /// The tokens of both sequences of every pair.
    public func tokenCount(units: [Int]) -> Int {
        units.reduce(0) { $0 + 2 * pairs[$1].promptIDs.count + pairs[$1].chosenIDs.count + pairs[$1].rejectedIDs.count }
    }

    /// The micro-batch of `pairs`: 2P sequences, padded or packed.
    public func batch(_ pairs: [PreferencePair]) throws -> PreferenceBatch {
        packing ? try PreferenceBatch.packed(pairs, capacity: capacity, padID: padID)
            : try PreferenceBatch.padded(pairs, padID: padID)
    }

    public func validate(units: [Int], model: CausalLanguageModel<Float>) throws {
        let b = try batch(units.map { pairs[$0] }).batch
        try model.validateLabels(b.labels, ids: b.ids)
        try model.validateInput(b.ids, shape: b.shape, layout: b.layout)
    }

    /// The micro-batch's mean per-pair loss divided by `normalizer`, and its metrics.
    public func loss(units: [Int], model: CausalLanguageModel<Float>, normalizer: Double) throws -> ObjectiveOutput {
        let cached = referenceCache.map { cache in units.map { cache[$0] } }
        var method = self.method
        let out = try Self.loss(units.map { pairs[$0] }, method: &method, model: model, reference: reference,
                                cachedReference: cached, batch: batch)
        self.method = method
        return ObjectiveOutput(loss: out.loss.scaled(by: Float(1 / normalizer)), metrics: out.metrics.mapValues { .mean($0) })
    }

    /// The mean over validation micro-batches of the loss and of every metric, without gradients; `bco_pair`'s
    /// running moments are not updated.
    public func evaluate(model: CausalLanguageModel<Float>) throws -> ValidationResult? {
        guard !validationPairs.isEmpty else { return nil }
        var loss = 0.0, metrics = StepMetrics(), batches = 0
        try withoutGradients {
            for start in stride(from: 0, to: validationPairs.count, by: batchSize) {
                let range = start..<min(start + batchSize, validationPairs.count)
                var method = self.method
                let out = try Self.loss(Array(validationPairs[range]), method: &method, model: model, reference: reference,
                                        cachedReference: validationReferenceCache.map { Array($0[range]) }, batch: batch)
                loss += Double(out.loss.item)
                metrics.add(out.metrics.mapValues { .mean($0) })
                batches += 1
            }
        }
        return ValidationResult(loss: loss / Double(batches), metrics: metrics.values)
    }

    /// `bco_pair`'s running moments (JSON), `nil` for other losses.
    public func checkpointState() throws -> Data? {
        guard case let .dpo(loss, _) = method, loss.lossTypes.contains(.bcoPair) else { return nil }
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = Self.nonFinite   // TRL's std is ∞ after the first batch
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(loss.running)
    }

    /// `inf`, `-inf`, `nan` as strings (JSON has no such numbers).
    static let nonFinite = JSONEncoder.NonConformingFloatEncodingStrategy.convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")

    /// Restores `bco_pair`'s running moments.
    /// - Throws: ``PreferenceObjectiveError/badObjectiveState(reason:)``.
    public func restoreCheckpointState(_ data: Data) throws {
        guard case .dpo(var loss, let ld) = method, loss.lossTypes.contains(.bcoPair) else { return }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { loss.running = try decoder.decode(RunningMoments.self, from: data) } catch {
            throw PreferenceObjectiveError.badObjectiveState(reason: ModelLoadingError.describe(error))
        }
        method = .dpo(loss, ldAlpha: ld)
    }

    /// One forward of the pairs' 2P sequences, the reference's (or the cached) log-probabilities, and the loss.
    static func loss(_ pairs: [PreferencePair], method: inout PreferenceMethod, model: CausalLanguageModel<Float>,
                     reference: ReferencePolicy<Float>?, cachedReference: [(chosen: Float, rejected: Float)]?,
                     batch makeBatch: ([PreferencePair]) throws -> PreferenceBatch) throws -> PreferenceLossOutput<Float> {
        let pb = try makeBatch(pairs)
        let b = pb.batch
        let policyTokens = try model.tokenLogProbabilities(b.ids, labels: b.labels, shape: b.shape, layout: b.layout)
        let (values, targets) = pb.gathered(policyTokens)
        let n = pairs.count
        switch method {
        case .dpo(var loss, let ld):
            let (pc, pr) = try SequenceLogProbabilities.pairs(tokenLogProbabilities: values, targets: targets,
                                                              pairCount: n, lengthDesensitization: ld)
            let rc: SequenceLogProbabilities<Float>, rr: SequenceLogProbabilities<Float>
            if let cachedReference {
                rc = try SequenceLogProbabilities(sums: Tensor(shape: [n], scalars: cachedReference.map(\.chosen)),
                                                  tokenCounts: pc.tokenCounts)
                rr = try SequenceLogProbabilities(sums: Tensor(shape: [n], scalars: cachedReference.map(\.rejected)),
                                                  tokenCounts: pr.tokenCounts)
            } else {
                guard let reference else { throw PreferenceObjectiveError.missingReference(method: "dpo") }
                (rc, rr) = try referenceSums(pb, reference: reference)
            }
            let out = try loss(policyChosen: pc, policyRejected: pr, referenceChosen: rc, referenceRejected: rr)
            method = .dpo(loss, ldAlpha: ld)
            return out
        case let .cpo(loss):
            let (c, r) = try SequenceLogProbabilities.pairs(tokenLogProbabilities: values, targets: targets, pairCount: n)
            return try loss(chosen: c, rejected: r)
        case let .orpo(loss):
            let (c, r) = try SequenceLogProbabilities.pairs(tokenLogProbabilities: values, targets: targets, pairCount: n)
            return try loss(chosen: c, rejected: r)
        }
    }

    /// The reference's chosen and rejected sequence log-probabilities of a micro-batch (no gradients, no LD-DPO).
    static func referenceSums(_ pb: PreferenceBatch, reference: ReferencePolicy<Float>) throws
        -> (chosen: SequenceLogProbabilities<Float>, rejected: SequenceLogProbabilities<Float>) {
        let tokens = try reference.tokenLogProbabilities(pb.batch)
        let (values, targets) = pb.gathered(tokens)
        return try SequenceLogProbabilities.pairs(tokenLogProbabilities: values.detached, targets: targets, pairCount: pb.count)
    }
}
