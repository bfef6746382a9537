import Foundation

/// Trains the trainable parameters of a causal language model on a ``TrainingObjective`` (SFT samples by default).
///
/// One optimizer step consumes `gradientAccumulationSteps` micro-batches of `batchSize` units of the objective (for
/// SFT a unit is a sample, or with packing a row of samples packed by ``Packing/bestFitDecreasing(_:capacity:)``).
/// The loss of a step is the sum of its micro-batch losses, each divided by the step's normaliser
/// (``lossNormalizer`` of the objective's ``TrainingObjective/normalizerCount(units:)`` summed over the step) — for
/// SFT the mean over all scored tokens, as transformers computes it, so accumulation and packing do not change the
/// gradients. Units are visited in a seeded permutation per epoch (in order with `shuffle == false`); the data
/// stream cycles when `maxSteps` asks for more than the data holds.
///
/// A step: check every micro-batch (``TrainingObjective/validate(units:model:)``), forward and backward each,
/// call ``didAccumulateGradients`` (where a gradient all-reduce goes), clip to `maxGradNorm`, refuse or skip a
/// non-finite step, set the scheduled learning rate and step the ``optimizer``.
///
/// The whole state (trainable weights, the optimizer's state, step, data position) goes into checkpoints, and
/// ``resume(from:)`` continues exactly as an uninterrupted run would.
public final class Trainer {
    public let model: CausalLanguageModel<Float>
    public let configuration: TrainingConfiguration
    /// What the trainer minimises.
    public let objective: any TrainingObjective
    /// Updates ``parameterGroups``; its state is checkpointed through ``Optimizer/stateEntries(for:)``.
    public let optimizer: any Optimizer<Float>
    public let parameters: [Parameter<Float>]
    /// The optimizer's groups: ``ParameterGroup/standard(_:weightDecay:loraPlusRatio:)`` over ``parameters``
    /// (no weight decay for norm scales and biases; LoRA+ learning-rate ratio when configured).
    public let parameterGroups: [ParameterGroup<Float>]
    public let totalSteps: Int
    public internal(set) var step = 0
    /// Micro-batches consumed so far (the data position).
    public internal(set) var microBatchIndex = 0
    public private(set) var history: [TrainingProgress] = []
    /// Steps skipped because their loss or gradient norm was not finite
    /// (``TrainingConfiguration/skipNonFiniteSteps``), including those before a resume.
    public internal(set) var skippedSteps = 0
    /// Called with the data-stream position before each micro-batch's forward pass (e.g. to key adapter dropout
    /// masks to the position, which keeps resumed runs bit-identical).
    public var willRunMicroBatch: ((Int) -> Void)?
    /// Called once per step after the backward pass of its last micro-batch, before clipping, with the summed
    /// gradients in ``parameters`` (`Parameter.grad`): where a gradient all-reduce across processes goes. What it
    /// leaves in the gradients is what is clipped and applied. When it throws, the step is not applied (gradients
    /// cleared, ``step`` and the data position unchanged) and the error propagates.
    public var didAccumulateGradients: ((Trainer) throws -> Void)?
    /// The normaliser N of a step from its local count c (Σ ``TrainingObjective/normalizerCount(units:)`` over
    /// the step's micro-batches); each micro-batch's loss is divided by N. Default `max(1, c)`; with several
    /// processes it would return the global count.
    public var lossNormalizer: (Int) -> Double = { Double(max(1, $0)) }

    /// What this run trains with, recorded in checkpoints and checked on resume.
    public let fingerprint: RunFingerprint
    /// The learning rate per step (transformers' `get_scheduler` for the configured scheduler).
    public let schedule: LearningRateSchedule
    /// Micro-batches per optimizer step (``TrainingConfiguration/effectiveGradientAccumulationSteps``).
    public let accumulationSteps: Int
    /// The sample length limit and packed row length (``TrainingConfiguration/effectiveMaxLength(modelMaxPositions:)``).
    public let maxLength: Int
    var microBatchesPerEpoch: Int { max(1, (objective.unitCount + configuration.batchSize - 1) / configuration.batchSize) }

    /// Supervised fine-tuning on `samples`: an ``SFTObjective`` with the optimizer of
    /// ``TrainingConfiguration/makeOptimizer()``.
    ///
    /// - Parameters:
    ///   - model: the model whose trainable parameters (for example LoRA adapters) are trained.
    ///   - samples: training samples (already truncated to `maxLength`).
    ///   - validationSamples: scored by ``validationLoss()``.
    ///   - configuration: optimizer, schedule, batch and data options.
    /// - Throws: ``TrainingError`` when there are no samples, a token id or label is outside the vocabulary, a
    ///   sample is longer than the model's positions, a setting is out of range, or the model has no trainable
    ///   parameters.
    public convenience init(model: CausalLanguageModel<Float>, samples: [Sample], validationSamples: [Sample] = [],
                            configuration: TrainingConfiguration) throws {
        let objective = try SFTObjective(model: model, samples: samples, validationSamples: validationSamples,
                                         configuration: configuration)
        try self.init(model: model, objective: objective, configuration: configuration)
    }

    /// Trains `model` on `objective`.
    ///
    /// - Parameters:
    ///   - model: the model whose trainable parameters are trained.
    ///   - objective: the data units and their loss.
    ///   - configuration: optimizer, schedule, batch and data-order options.
    ///   - optimizer: the optimizer; `nil` (the default) builds it with ``TrainingConfiguration/makeOptimizer()``.
    ///     Its ``Optimizer/hyperparameters`` enter the ``fingerprint``.
    /// - Throws: ``TrainingError`` when the objective has no units, a setting is out of range, or the model has no
    ///   trainable parameters.
    public init(model: CausalLanguageModel<Float>, objective: any TrainingObjective, configuration: TrainingConfiguration,
                optimizer: (any Optimizer<Float>)? = nil) throws {
        guard objective.unitCount > 0 else { throw TrainingError.noSamples }
        try configuration.validate()
        self.model = model
        self.configuration = configuration
        self.objective = objective
        let optimizer = optimizer ?? configuration.makeOptimizer()
        self.optimizer = optimizer
        fingerprint = RunFingerprint(model: model, data: objective.fingerprint, optimizer: optimizer.hyperparameters,
                                     configuration: configuration)
        parameters = model.trainableParameters
        guard !parameters.isEmpty else { throw TrainingError.nothingToTrain }
        parameterGroups = ParameterGroup.standard(parameters, weightDecay: configuration.weightDecay,
                                                  loraPlusRatio: configuration.loraPlusRatio)
        model.gradientCheckpointing = configuration.gradientCheckpointing
        maxLength = configuration.effectiveMaxLength(modelMaxPositions: model.configuration.maxPositions)
        let perEpoch = max(1, (objective.unitCount + configuration.batchSize - 1) / configuration.batchSize)
        accumulationSteps = configuration.effectiveGradientAccumulationSteps
        let stepsPerEpoch = Double(perEpoch) / Double(accumulationSteps)
        if let maxSteps = configuration.maxSteps {
            totalSteps = maxSteps
        } else {
            let steps = (stepsPerEpoch * configuration.numTrainEpochs).rounded(.up)
            guard steps < 1e15 else {   // Int(steps) would trap; no run takes 10^15 steps
                throw TrainingError.outOfRange(field: "num_train_epochs", value: "\(configuration.numTrainEpochs)",
                                               allowed: "a number of epochs giving fewer than 10^15 steps (\(steps))")
            }
            totalSteps = max(1, Int(steps))
        }
        let peak = configuration.effectiveLearningRate
        schedule = LearningRateSchedule(scheduler: configuration.lrScheduler, peak: peak,
                                        warmupSteps: configuration.warmupSteps(totalSteps: totalSteps), totalSteps: totalSteps)
        if case .polynomial = configuration.lrScheduler, schedule.warmupSteps >= totalSteps {
            throw TrainingError.invalidConfiguration("polynomial decay needs more steps (\(totalSteps)) than warmup steps (\(schedule.warmupSteps))")
        }
    }

    /// The visiting order of one epoch's units (a seeded permutation, or file order without shuffling).
    func unitOrder(epoch: Int) -> [Int] {
        if let cached = cachedOrder, cached.epoch == epoch { return cached.order }
        var order = Array(0..<objective.unitCount)
        if configuration.shuffle {
            var rng = RandomGenerator(seed: configuration.seed &+ UInt64(epoch) &* 1_000_003)
            order.shuffle(using: &rng)
        }
        cachedOrder = (epoch, order)
        return order
    }

    private var cachedOrder: (epoch: Int, order: [Int])?

    /// The unit indices of the micro-batch at position `index` of the data stream.
    func microBatch(_ index: Int) -> [Int] {
        let perEpoch = microBatchesPerEpoch
        let epoch = index / perEpoch, k = index % perEpoch
        let order = unitOrder(epoch: epoch)
        return Array(order[(k * configuration.batchSize)..<min((k + 1) * configuration.batchSize, order.count)])
    }

    /// One optimizer step; returns its progress record.
    ///
    /// A step whose loss or gradient norm is not finite applies no update: with
    /// ``TrainingConfiguration/skipNonFiniteSteps`` it is counted in ``skippedSteps`` (its data is consumed), otherwise
    /// it throws ``TrainingError/nonFiniteStep(step:loss:gradientNorm:)`` and the trainer stays at the previous step.
    ///
    /// - Throws: ``ModelInputError`` when a batch holds an id or label outside the vocabulary or a row longer than the
    ///   model's positions, and what the objective or ``didAccumulateGradients`` throws; the step is then not applied
    ///   (gradients cleared, ``step`` and ``microBatchIndex`` unchanged).
    @discardableResult
    public func trainStep(startTime: Date = Date(), tokensSoFar: inout Int) throws -> TrainingProgress {
        let batches = (0..<accumulationSteps).map { microBatch(microBatchIndex + $0) }
        let normalizer = lossNormalizer(batches.reduce(0) { $0 + objective.normalizerCount(units: $1) })
        for units in batches {   // every micro-batch checked before any gradient accumulates
            try objective.validate(units: units, model: model)
        }
        var loss = 0.0, tokens = 0
        var metrics = StepMetrics()
        do {
            for (offset, units) in batches.enumerated() {
                willRunMicroBatch?(microBatchIndex + offset)
                let output = try objective.loss(units: units, model: model, normalizer: normalizer)
                output.loss.backward()
                loss += Double(output.loss.item)
                metrics.add(output.metrics)
                tokens += objective.tokenCount(units: units)
            }
            try didAccumulateGradients?(self)
        } catch {
            parameters.forEach { $0.zeroGradient() }
            throw error
        }
        tokensSoFar += tokens
        let norm = configuration.maxGradNorm > 0
            ? clipGradientNorm(parameters, maxNorm: configuration.maxGradNorm)
            : clipGradientNorm(parameters, maxNorm: .infinity)
        let rate = schedule.rate(at: step)
        let finite = loss.isFinite && norm.isFinite
        if !finite {
            parameters.forEach { $0.zeroGradient() }
            guard configuration.skipNonFiniteSteps else {
                throw TrainingError.nonFiniteStep(step: step + 1, loss: loss, gradientNorm: norm)
            }
            skippedSteps += 1
        }
        microBatchIndex += batches.count
        if finite {
            optimizer.learningRate = rate
            optimizer.step(parameterGroups)
            parameters.forEach { $0.zeroGradient() }
        }
        step += 1
        let elapsed = Date().timeIntervalSince(startTime)
        let progress = TrainingProgress(
            step: step, totalSteps: totalSteps, epoch: Double(microBatchIndex) / Double(microBatchesPerEpoch),
            loss: loss, learningRate: rate, gradientNorm: norm, tokensPerSecond: Double(tokensSoFar) / max(elapsed, 1e-9),
            elapsedSeconds: elapsed, estimatedSecondsRemaining: elapsed / Double(max(1, step - startStep)) * Double(totalSteps - step),
            residentMemoryMB: ProcessMemory.residentMB, validationLoss: nil, skipped: !finite,
            skippedStepsSoFar: skippedSteps, metrics: metrics.values)
        history.append(progress)
        return progress
    }

    var startStep = 0

    /// The objective's validation loss (for SFT the mean loss over the scored tokens of the validation samples), no
    /// gradients; `nil` without validation data.
    /// - Throws: ``ModelInputError`` for a validation batch the model cannot take.
    public func validationLoss() throws -> Double? {
        try evaluate()?.loss
    }

    /// The objective's validation loss and metrics (``TrainingObjective/evaluate(model:)``), no gradients; `nil`
    /// without validation data.
    /// - Throws: what the objective throws, e.g. ``ModelInputError`` for a validation batch the model cannot take.
    public func evaluate() throws -> ValidationResult? {
        try objective.evaluate(model: model)
    }

    /// Runs until `totalSteps`, reporting after every step; `onCheckpoint` is called every `saveSteps` and at the end
    /// (and when the caller answers ``TrainingControl/stop``), after checking that no trainable parameter went
    /// non-finite.
    ///
    /// - Throws: ``TrainingError/nonFiniteStep(step:loss:gradientNorm:)`` (unless
    ///   ``TrainingConfiguration/skipNonFiniteSteps``), ``TrainingError/nonFiniteParameter(step:path:)``, and what
    ///   `onCheckpoint` throws.
    public func train(onProgress: (TrainingProgress) -> TrainingControl = { _ in .proceed },
                      onCheckpoint: (Trainer) throws -> Void = { _ in }) throws {
        let start = Date()
        startStep = step
        var tokens = 0
        while step < totalSteps {
            var progress = try trainStep(startTime: start, tokensSoFar: &tokens)
            let evalSteps = configuration.effectiveEvalSteps
            if evalSteps > 0 && step % evalSteps == 0 || step == totalSteps {
                let result = try evaluate()
                progress.validationLoss = result?.loss
                progress.validationMetrics = result?.metrics ?? [:]
                history[history.count - 1] = progress
            }
            let control = onProgress(progress)
            if configuration.saveSteps > 0 && step % configuration.saveSteps == 0 && step < totalSteps || control == .stop {
                try checkParametersFinite()
                try onCheckpoint(self)
            }
            if control == .stop { return }
        }
        try checkParametersFinite()
        try onCheckpoint(self)
    }

    /// Throws ``TrainingError/nonFiniteParameter(step:path:)`` when a trainable parameter holds a value that is not
    /// finite (an update overflowed), so that it is never saved.
    public func checkParametersFinite() throws {
        for p in parameters {
            let finite = p.value.withUnsafeScalars { buffer in buffer.allSatisfy { $0.isFinite } }
            if !finite { throw TrainingError.nonFiniteParameter(step: step, path: p.path) }
        }
    }
}
