/// Everything that decides a training run, with ms-swift's option names in JSON (`--config FILE`, a checkpoint's
/// `trainer_state.json`).
///
/// Every default is ms-swift's (`swift sft`), which is transformers' `TrainingArguments` default unless ms-swift
/// overrides it; the source line is cited at each field (ms-swift at commit 3602360a, v4.5: `swift/arguments/…`,
/// `swift/trainers/arguments.py`; transformers 5.25 `training_args.py`). `swifttune pt|sft` takes its defaults from
/// here. Where ms-swift decides a value from other options (the learning rate from the tuner, gradient accumulation
/// from the batch size, the evaluation interval from the save interval, the length limit from the model), the field
/// is optional and an `effective…` property applies ms-swift's rule.
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    public enum OptimizerKind: String, Codable, Sendable, CaseIterable { case adamw, sgd }

    /// ms-swift's `tuner_type` (formerly `train_type`): what is trained. DoRA is `lora` with `use_dora`, as in ms-swift.
    public enum TunerType: String, Codable, Sendable, CaseIterable {
        case lora, full

        /// ms-swift's default learning rate: 1e-5 for full fine-tuning, 1e-4 for LoRA
        /// (`swift/arguments/sft_args.py`, `SftArguments._init_override`).
        public var defaultLearningRate: Double { self == .full ? 1e-5 : 1e-4 }
    }

    /// `tuner_type`; decides the default learning rate (default lora: `base_args.py` `tuner_type: str = 'lora'`).
    public var tunerType: TunerType = .lora
    /// `optim`: AdamW (transformers' `adamw_torch`) or SGD (default adamw).
    public var optimizer: OptimizerKind = .adamw
    /// `learning_rate`, the peak rate η; `nil`: ``TunerType/defaultLearningRate`` (ms-swift `learning_rate: None`).
    public var learningRate: Double?
    /// `weight_decay` λ of decoupled decay (default 0.1: ms-swift `trainers/arguments.py` `weight_decay: float = 0.1`).
    public var weightDecay: Double = 0.1
    /// `adam_beta1` β₁ (default 0.9: transformers `adam_beta1`).
    public var adamBeta1: Double = 0.9
    /// `adam_beta2` β₂ (default 0.95: ms-swift `trainers/arguments.py` `adam_beta2: float = 0.95`).
    public var adamBeta2: Double = 0.95
    /// `adam_epsilon` ε (default 1e-8: transformers `adam_epsilon`).
    public var adamEpsilon: Double = 1e-8
    /// SGD momentum μ (SwiftTune's; default 0 as `torch.optim.SGD`).
    public var sgdMomentum: Double = 0
    /// Nesterov momentum for SGD (SwiftTune's; default false as `torch.optim.SGD`).
    public var sgdNesterov: Bool = false
    /// LoRA+ (ms-swift's `lorap_lr_ratio`): `lora_B` matrices and 1-D trainable tensors learn at
    /// `learningRate × loraPlusRatio`; `nil` = off (default: ms-swift `tuner_args.py` `lorap_lr_ratio = None`).
    public var loraPlusRatio: Double?
    /// `max_grad_norm`: global-norm gradient clipping, 0 = off (default 1: transformers `max_grad_norm`).
    public var maxGradNorm: Double = 1
    /// `lr_scheduler_type` and `lr_scheduler_kwargs` (default cosine: ms-swift `lr_scheduler_type: str = 'cosine'`).
    public var lrScheduler: LearningRateScheduler = .cosine()
    /// `warmup_steps`: warmup length in optimizer steps; when > 0 it wins over ``warmupRatio`` (default 0).
    public var warmupSteps: Int = 0
    /// `warmup_ratio`: warmup as a fraction of the total steps, `ceil(ratio × total)`, when `warmupSteps` is 0
    /// (default 0: ms-swift `trainers/arguments.py` `warmup_ratio: float = 0.`).
    public var warmupRatio: Double = 0
    /// `num_train_epochs` (default 3: transformers `num_train_epochs: float = 3.0`).
    public var numTrainEpochs: Double = 3
    /// `max_steps`: stop after this many optimizer steps (cycling the data if needed); overrides epochs when set
    /// (default none: transformers `max_steps = -1`).
    public var maxSteps: Int?
    /// `per_device_train_batch_size`: samples (or packed rows) per micro-batch (default 1: ms-swift).
    public var batchSize: Int = 1
    /// `gradient_accumulation_steps`; `nil`: ms-swift's `max(1, ceil(16 / batch size))`, a total batch of at least 16
    /// on one device (`trainers/arguments.py` `TrainArgumentsMixin.__post_init__`).
    public var gradientAccumulationSteps: Int?
    /// `max_length`: the longest sample in tokens (and the packed row length); `nil`: the model's
    /// `max_position_embeddings` (ms-swift `max_length: None` = `max_model_len`).
    public var maxLength: Int?
    /// `truncation_strategy` for longer samples (default delete: ms-swift `template_args.py`).
    public var truncationStrategy: TruncationStrategy = .delete
    /// `packing` samples into rows of `maxLength` (default false: ms-swift `base_args.py`).
    public var packing: Bool = false
    /// `dataset_shuffle`: visit samples in a seeded order (default true: ms-swift `data_args.py`).
    public var shuffle: Bool = true
    /// `seed` (default 42: ms-swift `base_args.py` `seed: int = 42`).
    public var seed: UInt64 = 42
    /// `save_steps`: a checkpoint every N optimizer steps, 0 = only at the end (default 500: transformers
    /// `save_steps: float = 500` with ms-swift's `save_strategy` 'steps').
    public var saveSteps: Int = 500
    /// `eval_steps`: validation loss every N steps, 0 = only at the end; `nil`: ``saveSteps``
    /// (ms-swift `sft_args.py` `_init_eval_strategy`: `eval_steps = save_steps`).
    public var evalSteps: Int?
    /// `logging_steps`: a progress line and a `logging.jsonl` record every N ≥ 1 steps, plus the first and the last
    /// (default 5: ms-swift `logging_steps: int = 5`, `logging_first_step: bool = True`; 0 is refused, as transformers
    /// refuses it).
    public var loggingSteps: Int = 5
    /// `gradient_checkpointing`: recompute activations in backward (default true: ms-swift).
    public var gradientCheckpointing: Bool = true
    /// `skip_nonfinite_steps` (SwiftTune's): a step whose loss or gradient norm is not finite is skipped (no update)
    /// and counted in ``Trainer/skippedSteps``; when false (the default) it stops the run with
    /// ``TrainingError/nonFiniteStep(step:loss:gradientNorm:)``.
    public var skipNonFiniteSteps: Bool = false

    public init() {}

    /// ms-swift's defaults with the learning rate of `tuner`.
    public init(tuner: TunerType) { tunerType = tuner }

    /// The peak learning rate: ``learningRate`` or the tuner's default.
    public var effectiveLearningRate: Double { learningRate ?? tunerType.defaultLearningRate }

    /// Micro-batches per optimizer step: ``gradientAccumulationSteps`` or `max(1, ceil(16 / batchSize))`.
    public var effectiveGradientAccumulationSteps: Int {
        gradientAccumulationSteps ?? max(1, (16 + max(1, batchSize) - 1) / max(1, batchSize))
    }

    /// The validation interval: ``evalSteps`` or ``saveSteps``.
    public var effectiveEvalSteps: Int { evalSteps ?? saveSteps }

    /// The length limit for a model supporting `modelMaxPositions` positions: ``maxLength``, at most the model's
    /// positions (ms-swift likewise caps `max_length` at the model's `max_model_len`), or the positions when unset.
    public func effectiveMaxLength(modelMaxPositions: Int) -> Int { min(maxLength ?? modelMaxPositions, modelMaxPositions) }

    /// transformers' `TrainingArguments.get_warmup_steps` (4.x): `warmup_steps` when > 0, else
    /// `ceil(total × warmup_ratio)`.
    public func warmupSteps(totalSteps: Int) -> Int {
        warmupSteps > 0 ? warmupSteps : Int((Double(totalSteps) * warmupRatio).rounded(.up))
    }

    /// Whether step `step` (1-based) of `totalSteps` is reported: the first, every ``loggingSteps``-th, the last.
    public func isLoggingStep(_ step: Int, totalSteps: Int) -> Bool {
        step == 1 || step == totalSteps || (loggingSteps > 0 && step % loggingSteps == 0)
    }

    enum CodingKeys: String, CodingKey {
        case tunerType = "tuner_type"
        case optimizer, learningRate = "learning_rate", weightDecay = "weight_decay", adamBeta1 = "adam_beta1"
        case adamBeta2 = "adam_beta2", adamEpsilon = "adam_epsilon", sgdMomentum = "sgd_momentum"
        case loraPlusRatio = "lorap_lr_ratio", sgdNesterov = "sgd_nesterov"
        case maxGradNorm = "max_grad_norm", lrScheduler = "lr_scheduler_type", lrSchedulerKwargs = "lr_scheduler_kwargs"
        case warmupSteps = "warmup_steps"
        case warmupRatio = "warmup_ratio", numTrainEpochs = "num_train_epochs", maxSteps = "max_steps"
        case batchSize = "per_device_train_batch_size", gradientAccumulationSteps = "gradient_accumulation_steps"
        case maxLength = "max_length", truncationStrategy = "truncation_strategy", packing, shuffle = "dataset_shuffle"
        case seed, saveSteps = "save_steps", evalSteps = "eval_steps", loggingSteps = "logging_steps"
        case gradientCheckpointing = "gradient_checkpointing", skipNonFiniteSteps = "skip_nonfinite_steps"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingConfiguration()
        tunerType = try c.decodeIfPresent(TunerType.self, forKey: .tunerType) ?? d.tunerType
        optimizer = try c.decodeIfPresent(OptimizerKind.self, forKey: .optimizer) ?? d.optimizer
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate)
        weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? d.weightDecay
        adamBeta1 = try c.decodeIfPresent(Double.self, forKey: .adamBeta1) ?? d.adamBeta1
        adamBeta2 = try c.decodeIfPresent(Double.self, forKey: .adamBeta2) ?? d.adamBeta2
        adamEpsilon = try c.decodeIfPresent(Double.self, forKey: .adamEpsilon) ?? d.adamEpsilon
        sgdMomentum = try c.decodeIfPresent(Double.self, forKey: .sgdMomentum) ?? d.sgdMomentum
        sgdNesterov = try c.decodeIfPresent(Bool.self, forKey: .sgdNesterov) ?? d.sgdNesterov
        loraPlusRatio = try c.decodeIfPresent(Double.self, forKey: .loraPlusRatio)
        maxGradNorm = try c.decodeIfPresent(Double.self, forKey: .maxGradNorm) ?? d.maxGradNorm
        if let name = try c.decodeIfPresent(String.self, forKey: .lrScheduler) {
            let kwargs = try c.decodeIfPresent([String: LearningRateScheduler.Argument].self, forKey: .lrSchedulerKwargs) ?? [:]
            lrScheduler = try LearningRateScheduler(name: name, kwargs: kwargs)
        } else {
            lrScheduler = d.lrScheduler
        }
        warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? d.warmupSteps
        warmupRatio = try c.decodeIfPresent(Double.self, forKey: .warmupRatio) ?? d.warmupRatio
        numTrainEpochs = try c.decodeIfPresent(Double.self, forKey: .numTrainEpochs) ?? d.numTrainEpochs
        maxSteps = try c.decodeIfPresent(Int.self, forKey: .maxSteps)
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        gradientAccumulationSteps = try c.decodeIfPresent(Int.self, forKey: .gradientAccumulationSteps)
        maxLength = try c.decodeIfPresent(Int.self, forKey: .maxLength)
        truncationStrategy = try c.decodeIfPresent(TruncationStrategy.self, forKey: .truncationStrategy) ?? d.truncationStrategy
        packing = try c.decodeIfPresent(Bool.self, forKey: .packing) ?? d.packing
        shuffle = try c.decodeIfPresent(Bool.self, forKey: .shuffle) ?? d.shuffle
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        saveSteps = try c.decodeIfPresent(Int.self, forKey: .saveSteps) ?? d.saveSteps
        evalSteps = try c.decodeIfPresent(Int.self, forKey: .evalSteps)
        loggingSteps = try c.decodeIfPresent(Int.self, forKey: .loggingSteps) ?? d.loggingSteps
        gradientCheckpointing = try c.decodeIfPresent(Bool.self, forKey: .gradientCheckpointing) ?? d.gradientCheckpointing
        skipNonFiniteSteps = try c.decodeIfPresent(Bool.self, forKey: .skipNonFiniteSteps) ?? d.skipNonFiniteSteps
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tunerType, forKey: .tunerType)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encodeIfPresent(learningRate, forKey: .learningRate)
        try c.encode(weightDecay, forKey: .weightDecay)
        try c.encode(adamBeta1, forKey: .adamBeta1)
        try c.encode(adamBeta2, forKey: .adamBeta2)
        try c.encode(adamEpsilon, forKey: .adamEpsilon)
        try c.encode(sgdMomentum, forKey: .sgdMomentum)
        try c.encode(sgdNesterov, forKey: .sgdNesterov)
        try c.encodeIfPresent(loraPlusRatio, forKey: .loraPlusRatio)
        try c.encode(maxGradNorm, forKey: .maxGradNorm)
        try c.encode(lrScheduler.name, forKey: .lrScheduler)
        try c.encode(lrScheduler.kwargs, forKey: .lrSchedulerKwargs)
        try c.encode(warmupSteps, forKey: .warmupSteps)
        try c.encode(warmupRatio, forKey: .warmupRatio)
        try c.encode(numTrainEpochs, forKey: .numTrainEpochs)
        try c.encodeIfPresent(maxSteps, forKey: .maxSteps)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encodeIfPresent(gradientAccumulationSteps, forKey: .gradientAccumulationSteps)
        try c.encodeIfPresent(maxLength, forKey: .maxLength)
        try c.encode(truncationStrategy, forKey: .truncationStrategy)
        try c.encode(packing, forKey: .packing)
        try c.encode(shuffle, forKey: .shuffle)
        try c.encode(seed, forKey: .seed)
        try c.encode(saveSteps, forKey: .saveSteps)
        try c.encodeIfPresent(evalSteps, forKey: .evalSteps)
        try c.encode(loggingSteps, forKey: .loggingSteps)
        try c.encode(gradientCheckpointing, forKey: .gradientCheckpointing)
        try c.encode(skipNonFiniteSteps, forKey: .skipNonFiniteSteps)
    }
}
