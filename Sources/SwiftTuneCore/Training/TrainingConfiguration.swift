/// Everything that decides a training run, with ms-swift's option names in JSON (`--config FILE`).
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    public enum OptimizerKind: String, Codable, Sendable, CaseIterable { case adamw, sgd }

    public var optimizer: OptimizerKind = .adamw
    public var learningRate: Double = 1e-4
    public var weightDecay: Double = 0.1
    public var adamBeta1: Double = 0.9
    public var adamBeta2: Double = 0.95
    public var adamEpsilon: Double = 1e-8
    public var sgdMomentum: Double = 0
    public var sgdNesterov: Bool = false
    /// LoRA+ (ms-swift's `lorap_lr_ratio`): `lora_B` matrices and 1-D trainable tensors learn at
    /// `learningRate × loraPlusRatio`; `nil` = off.
    public var loraPlusRatio: Double?
    /// Global-norm gradient clipping (0 = off).
    public var maxGradNorm: Double = 1
    public var lrScheduler: LearningRateSchedule.Kind = .cosine
    public var warmupSteps: Int = 0
    /// Fraction of the total steps used for warmup when `warmupSteps` is 0.
    public var warmupRatio: Double = 0
    public var numTrainEpochs: Double = 1
    /// Stop after this many optimizer steps (cycling the data if needed); overrides epochs when set.
    public var maxSteps: Int?
    /// Samples (or packed rows) per micro-batch.
    public var batchSize: Int = 1
    public var gradientAccumulationSteps: Int = 1
    public var maxLength: Int = 2048
    public var truncationStrategy: TruncationStrategy = .delete
    public var packing: Bool = false
    public var shuffle: Bool = true
    public var seed: UInt64 = 42
    /// Save a checkpoint every N optimizer steps (0 = only at the end).
    public var saveSteps: Int = 0
    /// Validation loss every N steps (0 = only at the end).
    public var evalSteps: Int = 0
    public var gradientCheckpointing: Bool = true

    public init() {}

    enum CodingKeys: String, CodingKey {
        case optimizer, learningRate = "learning_rate", weightDecay = "weight_decay", adamBeta1 = "adam_beta1"
        case adamBeta2 = "adam_beta2", adamEpsilon = "adam_epsilon", sgdMomentum = "sgd_momentum"
        case loraPlusRatio = "lorap_lr_ratio", sgdNesterov = "sgd_nesterov"
        case maxGradNorm = "max_grad_norm", lrScheduler = "lr_scheduler_type", warmupSteps = "warmup_steps"
        case warmupRatio = "warmup_ratio", numTrainEpochs = "num_train_epochs", maxSteps = "max_steps"
        case batchSize = "per_device_train_batch_size", gradientAccumulationSteps = "gradient_accumulation_steps"
        case maxLength = "max_length", truncationStrategy = "truncation_strategy", packing, shuffle = "dataset_shuffle"
        case seed, saveSteps = "save_steps", evalSteps = "eval_steps", gradientCheckpointing = "gradient_checkpointing"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingConfiguration()
        optimizer = try c.decodeIfPresent(OptimizerKind.self, forKey: .optimizer) ?? d.optimizer
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? d.learningRate
        weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? d.weightDecay
        adamBeta1 = try c.decodeIfPresent(Double.self, forKey: .adamBeta1) ?? d.adamBeta1
        adamBeta2 = try c.decodeIfPresent(Double.self, forKey: .adamBeta2) ?? d.adamBeta2
        adamEpsilon = try c.decodeIfPresent(Double.self, forKey: .adamEpsilon) ?? d.adamEpsilon
        sgdMomentum = try c.decodeIfPresent(Double.self, forKey: .sgdMomentum) ?? d.sgdMomentum
        sgdNesterov = try c.decodeIfPresent(Bool.self, forKey: .sgdNesterov) ?? d.sgdNesterov
        loraPlusRatio = try c.decodeIfPresent(Double.self, forKey: .loraPlusRatio)
        maxGradNorm = try c.decodeIfPresent(Double.self, forKey: .maxGradNorm) ?? d.maxGradNorm
        lrScheduler = try c.decodeIfPresent(LearningRateSchedule.Kind.self, forKey: .lrScheduler) ?? d.lrScheduler
        warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? d.warmupSteps
        warmupRatio = try c.decodeIfPresent(Double.self, forKey: .warmupRatio) ?? d.warmupRatio
        numTrainEpochs = try c.decodeIfPresent(Double.self, forKey: .numTrainEpochs) ?? d.numTrainEpochs
        maxSteps = try c.decodeIfPresent(Int.self, forKey: .maxSteps)
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        gradientAccumulationSteps = try c.decodeIfPresent(Int.self, forKey: .gradientAccumulationSteps) ?? d.gradientAccumulationSteps
        maxLength = try c.decodeIfPresent(Int.self, forKey: .maxLength) ?? d.maxLength
        truncationStrategy = try c.decodeIfPresent(TruncationStrategy.self, forKey: .truncationStrategy) ?? d.truncationStrategy
        packing = try c.decodeIfPresent(Bool.self, forKey: .packing) ?? d.packing
        shuffle = try c.decodeIfPresent(Bool.self, forKey: .shuffle) ?? d.shuffle
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        saveSteps = try c.decodeIfPresent(Int.self, forKey: .saveSteps) ?? d.saveSteps
        evalSteps = try c.decodeIfPresent(Int.self, forKey: .evalSteps) ?? d.evalSteps
        gradientCheckpointing = try c.decodeIfPresent(Bool.self, forKey: .gradientCheckpointing) ?? d.gradientCheckpointing
    }
}

extension TrainingConfiguration {
    /// Throws ``TrainingError/invalidConfiguration(_:)`` for settings no optimizer or schedule can run with.
    public func validate() throws {
        func fail(_ reason: String) throws -> Never { throw TrainingError.invalidConfiguration(reason) }
        if !(learningRate >= 0) || !learningRate.isFinite { try fail("learning_rate \(learningRate) must be a finite number ≥ 0") }
        if !(weightDecay >= 0) { try fail("weight_decay \(weightDecay) must be ≥ 0") }
        if !(sgdMomentum >= 0) { try fail("sgd_momentum \(sgdMomentum) must be ≥ 0") }
        if sgdNesterov && !(sgdMomentum > 0) { try fail("sgd_nesterov needs sgd_momentum > 0") }
        if let r = loraPlusRatio, !(r > 0) || !r.isFinite { try fail("lorap_lr_ratio \(r) must be a finite number > 0") }
        if batchSize < 1 || gradientAccumulationSteps < 1 { try fail("batch size and gradient accumulation steps must be ≥ 1") }
        if maxLength < 2 { try fail("max_length \(maxLength) must be ≥ 2") }
    }
}
