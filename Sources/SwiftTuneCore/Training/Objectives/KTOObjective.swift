import Foundation

/// KTO on labelled completions (``KTOLoss``) as a ``TrainingObjective``.
///
/// A unit is a ``KTOExample``. For the `kto` loss, each example also has a KL completion: another example's
/// completion after its own prompt. As ms-swift (`_get_kl_dataset`), the KL completions rotate within consecutive
/// groups of the total batch size (`batchSize × gradientAccumulationSteps`) of the training examples in file
/// order (``KTOExample/shiftedCompletions(_:groupSize:)``) — ms-swift shuffles the dataset with `data_seed`
/// first, SwiftTune rotates in file order; a total batch size of 1 is refused, as ms-swift refuses it. A
/// micro-batch of P examples is ONE forward of 2P sequences (``PreferenceBatch/kto(_:klCompletions:maxLength:padID:)``:
/// completions, then the KL sequences); `apo_zero_unpaired` needs no KL sequences and runs P.
///
///     z = max(0, mean_KL(log π − log π_ref))        (detached)
///     loss = mean_i λ_i (1 − σ(β (±(log π(y_i) − log π_ref(y_i)) ∓ z)))
///
/// The micro-batch's loss is that mean (TRL: `losses.nanmean()`), divided by the step's normaliser (1 per
/// micro-batch, as ``PreferenceObjective``). Metrics: `kl` (mean over micro-batches), `rewards/chosen`,
/// `rewards/rejected`, `logps/chosen`, `logps/rejected` as sums over the examples of that kind divided by their
/// count in the step (TRL's `*_sum` / `count/*`), and `rewards/margins` (mean over the micro-batches that have both
/// kinds).
public final class KTOObjective: TrainingObjective {
    /// The training examples, one unit each.
    public let examples: [KTOExample]
    /// Per example, the example whose completion its KL sequence takes.
    public let klCompletions: [KTOExample]
    /// Validation examples and their KL completions.
    public let validationExamples: [KTOExample]
    let validationKL: [KTOExample]
    /// The loss.
    public let lossFunction: KTOLoss
    /// The reference model.
    public let reference: ReferencePolicy<Float>
    /// The padding id.
    public let padID: Int
    /// The longest KL sequence (its completion is cut on the right).
    public let maxLength: Int
    let batchSize: Int
    /// Reference sums per example once precomputed: (completion, KL sequence).
    var referenceCache: [(completion: Float, kl: Float)]?
    var validationReferenceCache: [(completion: Float, kl: Float)]?
    public let fingerprint: String

    /// - Throws: ``TrainingError`` (no examples, a bad setting, an id outside the vocabulary, a sequence longer
    ///   than the model's positions), ``PreferenceObjectiveError/ktoBatchTooSmall(totalBatchSize:)`` for the `kto`
    ///   loss with a total batch size of 1, ``PreferenceLossError`` for bad hyperparameters.
    public init(model: CausalLanguageModel<Float>, examples: [KTOExample], validationExamples: [KTOExample] = [],
                loss: KTOLoss, reference: ReferencePolicy<Float>, configuration: TrainingConfiguration,
                padID: Int = 0) throws {
        guard !examples.isEmpty else { throw TrainingError.noSamples }
        try configuration.validate()
        for (name, value) in [("beta", loss.beta), ("desirable_weight", loss.desirableWeight),
                              ("undesirable_weight", loss.undesirableWeight)] where !(value.isFinite && value > 0) {
            throw PreferenceLossError.invalidHyperparameter(name: name, value: value, requirement: "finite and > 0")
        }
        let group = max(1, configuration.batchSize) * configuration.effectiveGradientAccumulationSteps
        if loss.usesKL && group <= 1 { throw PreferenceObjectiveError.ktoBatchTooSmall(totalBatchSize: group) }
        let positions = model.configuration.maxPositions
        for e in examples + validationExamples {
            try e.validate(vocabularySize: model.configuration.vocabularySize)
            if e.sample.ids.count > positions {
                throw TrainingError.sampleTooLong(length: e.sample.ids.count, maxPositions: positions)
            }
        }
        self.examples = examples
        self.validationExamples = validationExamples
        klCompletions = KTOExample.shiftedCompletions(examples, groupSize: group)
        validationKL = KTOExample.shiftedCompletions(validationExamples, groupSize: group)
        lossFunction = loss
        self.reference = reference
        self.padID = padID
        maxLength = configuration.effectiveMaxLength(modelMaxPositions: positions)
        batchSize = max(1, configuration.batchSize)
        var hash = FNV1a()
        hash.add("kto loss_type=\(loss.lossType.rawValue) beta=\(loss.beta) desirable_weight=\(loss.desirableWeight) "
                 + "undesirable_weight=\(loss.undesirableWeight)")
        for e in examples {
            hash.add(e.promptIDs)
            hash.add(e.completionIDs)
            hash.add(e.completionLabels)
            hash.add(e.desirable ? "1" : "0")
        }
        fingerprint = hash.hex
    }

    public var unitCount: Int { examples.count }

    /// 1 per micro-batch: the loss is the mean over the micro-batch's examples (TRL).
    public func normalizerCount(units: [Int]) -> Int { units.isEmpty ? 0 : 1 }

    /// The tokens of each completion and, for `kto`, of its KL sequence.
    public func tokenCount(units: [Int]) -> Int {
        units.reduce(0) { n, i in
            n + examples[i].sample.ids.count
                + (lossFunction.usesKL ? examples[i].sample(withCompletionOf: klCompletions[i], maxLength: maxLength).ids.count : 0)
        }
    }

    /// The micro-batch: completions (and KL sequences for `kto`), padded.
    public func batch(_ examples: [KTOExample], kl: [KTOExample]) throws -> PreferenceBatch {
        if lossFunction.usesKL { return try PreferenceBatch.kto(examples, klCompletions: kl, maxLength: maxLength, padID: padID) }
        guard !examples.isEmpty else { throw PreferenceBatchError.empty }
        let samples = examples.map(\.sample)
        return PreferenceBatch(batch: Batch.padded(samples, padID: padID), count: examples.count,
                               locations: samples.indices.map { .init(row: $0, start: 0, length: samples[$0].ids.count) },
                               desirable: examples.map(\.desirable))
    }

    public func validate(units: [Int], model: CausalLanguageModel<Float>) throws {
        let b = try batch(units.map { examples[$0] }, kl: units.map { klCompletions[$0] }).batch
        try model.validateLabels(b.labels, ids: b.ids)
        try model.validateInput(b.ids, shape: b.shape, layout: b.layout)
    }

    public func loss(units: [Int], model: CausalLanguageModel<Float>, normalizer: Double) throws -> ObjectiveOutput {
        let out = try loss(units.map { examples[$0] }, kl: units.map { klCompletions[$0] }, model: model,
                           cached: referenceCache.map { c in units.map { c[$0] } })
        return ObjectiveOutput(loss: out.loss.scaled(by: Float(1 / normalizer)), metrics: out.metrics)
    }

    /// Means over the validation micro-batches (loss, `kl`, `rewards/margins`) and over the validation examples
    /// of each kind (`rewards/*`, `logps/*`), without gradients.
    public func evaluate(model: CausalLanguageModel<Float>) throws -> ValidationResult? {
        guard !validationExamples.isEmpty else { return nil }
        var total = 0.0, metrics = StepMetrics(), batches = 0
        try withoutGradients {
            for start in stride(from: 0, to: validationExamples.count, by: batchSize) {
                let range = start..<min(start + batchSize, validationExamples.count)
                let out = try loss(Array(validationExamples[range]), kl: Array(validationKL[range]), model: model,
                                   cached: validationReferenceCache.map { Array($0[range]) })
                total += Double(out.loss.item)
                metrics.add(out.metrics)
                batches += 1
            }
        }
        return ValidationResult(loss: total / Double(batches), metrics: metrics.values)
    }

    /// Whether the reference log-probabilities are cached (``precomputeReferenceLogProbabilities()``).
    public var hasPrecomputedReference: Bool { referenceCache != nil }

    /// Runs the reference once over every example (and KL sequence), in micro-batches of the batch size, and caches
    /// the sums (TRL's `precompute_ref_log_probs`).
    /// - Throws: ``ModelInputError`` for a batch the reference cannot take.
    public func precomputeReferenceLogProbabilities() throws {
        func run(_ list: [KTOExample], _ kl: [KTOExample]) throws -> [(completion: Float, kl: Float)] {
            var out: [(completion: Float, kl: Float)] = []
            for start in stride(from: 0, to: list.count, by: batchSize) {
                let range = start..<min(start + batchSize, list.count)
                let pb = try batch(Array(list[range]), kl: Array(kl[range]))
                let sums = try referenceSums(pb)
                out += (0..<pb.count).map { (sums[$0], lossFunction.usesKL ? sums[pb.count + $0] : 0) }
            }
            return out
        }
        referenceCache = try run(examples, klCompletions)
        validationReferenceCache = try run(validationExamples, validationKL)
    }

    /// Per-sequence sums of the reference, in ``PreferenceBatch/locations`` order.
    func referenceSums(_ pb: PreferenceBatch) throws -> [Float] {
        let (values, targets) = pb.gathered(try reference.tokenLogProbabilities(pb.batch))
        return try SequenceLogProbabilities(tokenLogProbabilities: values.detached, targets: targets,
                                            batchSize: pb.locations.count).sums.scalars
    }

    func loss(_ list: [KTOExample], kl: [KTOExample], model: CausalLanguageModel<Float>,
              cached: [(completion: Float, kl: Float)]?) throws -> (loss: Tensor<Float>, metrics: [String: MetricValue]) {
        let pb = try batch(list, kl: kl)
        let b = pb.batch
        let (values, targets) = pb.gathered(try model.tokenLogProbabilities(b.ids, labels: b.labels, shape: b.shape, layout: b.layout))
        let all = try SequenceLogProbabilities(tokenLogProbabilities: values, targets: targets, batchSize: pb.locations.count)
        let n = pb.count
        let reference: [Float] = try cached.map { c in c.map(\.completion) + (lossFunction.usesKL ? c.map(\.kl) : []) }
            ?? referenceSums(pb)
        let ref = Tensor(shape: [reference.count], scalars: reference)
        let policy = all.sums.slice(axis: 0, 0..<n)
        let out = try lossFunction(
            policy: policy, reference: ref.slice(axis: 0, 0..<n), desirable: list.map(\.desirable),
            policyKL: lossFunction.usesKL ? all.sums.slice(axis: 0, n..<2 * n).detached : nil,
            referenceKL: lossFunction.usesKL ? ref.slice(axis: 0, n..<2 * n) : nil)
        let chosen = list.filter(\.desirable).count, rejected = n - chosen
        var metrics: [String: MetricValue] = ["kl": .mean(out.metrics["kl"] ?? 0)]
        for (key, count) in [("rewards/chosen", chosen), ("logps/chosen", chosen), ("rewards/rejected", rejected),
                             ("logps/rejected", rejected)] where count > 0 {
            metrics[key] = .ratio(sum: (out.metrics[key] ?? 0) * Double(count), count: Double(count))
        }
        if let margin = out.metrics["rewards/margins"] { metrics["rewards/margins"] = .mean(margin) }
        return (out.loss, metrics)
    }
}
