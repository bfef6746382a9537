extension TrainingConfiguration {
    /// The largest `per_device_train_batch_size` and `gradient_accumulation_steps` accepted (2²⁰), so that batch
    /// arithmetic cannot overflow.
    public static let maxBatchSize = 1 << 20

    /// The largest `max_steps` accepted (10¹⁵, the bound `num_train_epochs` is held to): step arithmetic such as
    /// the warmup (`max_steps × warmup_ratio`) stays exact in a `Double` and inside `Int`.
    public static let maxStepCount = 1_000_000_000_000_000

    /// Checks every setting against its range, once, before any work starts.
    ///
    /// Ranges: `learning_rate`, `weight_decay`, `sgd_momentum`, `max_grad_norm` (0 = no clipping) finite ≥ 0;
    /// `adam_beta1` and `adam_beta2` in [0, 1); `adam_epsilon` finite > 0; `lorap_lr_ratio` finite > 0;
    /// `num_train_epochs` finite > 0; `warmup_ratio` in [0, 1]; `warmup_steps` ≥ 0; `max_steps` in
    /// [1, ``maxStepCount``]; `max_length` and `logging_steps` ≥ 1; `per_device_train_batch_size` and `gradient_accumulation_steps` in
    /// [1, ``maxBatchSize``];
    /// `save_steps` and `eval_steps` ≥ 0, where 0 means "only at the end" (transformers refuses `logging_steps` 0,
    /// as here).
    ///
    /// - Throws: ``TrainingError/outOfRange(field:value:allowed:)`` naming the first setting outside its range,
    ///   ``TrainingError/invalidConfiguration(_:)`` for settings that contradict each other, and
    ///   ``LearningRateSchedulerError`` for a scheduler transformers would refuse.
    public func validate() throws {
        func fail(_ field: String, _ value: Any, _ allowed: String) throws -> Never {
            throw TrainingError.outOfRange(field: field, value: "\(value)", allowed: allowed)
        }
        func finiteAtLeastZero(_ field: String, _ value: Double) throws {
            if !(value.isFinite && value >= 0) { try fail(field, value, "a finite number ≥ 0") }
        }
        func finitePositive(_ field: String, _ value: Double) throws {
            if !(value.isFinite && value > 0) { try fail(field, value, "a finite number > 0") }
        }
        func beta(_ field: String, _ value: Double) throws {
            if !(value >= 0 && value < 1) { try fail(field, value, "in [0, 1)") }
        }
        func atLeast(_ field: String, _ value: Int?, _ minimum: Int, _ meaning: String = "") throws {
            if let value, value < minimum { try fail(field, value, "an integer ≥ \(minimum)\(meaning)") }
        }
        func within(_ field: String, _ value: Int?, _ range: ClosedRange<Int>) throws {
            if let value, !range.contains(value) {
                try fail(field, value, "an integer in [\(range.lowerBound), \(range.upperBound)]")
            }
        }
        let lr = effectiveLearningRate
        try finiteAtLeastZero("learning_rate", lr)
        try finiteAtLeastZero("weight_decay", weightDecay)
        try beta("adam_beta1", adamBeta1)
        try beta("adam_beta2", adamBeta2)
        try finitePositive("adam_epsilon", adamEpsilon)
        try finiteAtLeastZero("sgd_momentum", sgdMomentum)
        if sgdNesterov && !(sgdMomentum > 0) { throw TrainingError.invalidConfiguration("sgd_nesterov needs sgd_momentum > 0") }
        if let r = loraPlusRatio { try finitePositive("lorap_lr_ratio", r) }
        try finiteAtLeastZero("max_grad_norm", maxGradNorm)
        try within("per_device_train_batch_size", batchSize, 1...TrainingConfiguration.maxBatchSize)
        try within("gradient_accumulation_steps", gradientAccumulationSteps, 1...TrainingConfiguration.maxBatchSize)
        try atLeast("max_length", maxLength, 1)
        try atLeast("warmup_steps", warmupSteps, 0)
        if !(warmupRatio >= 0 && warmupRatio <= 1) { try fail("warmup_ratio", warmupRatio, "in [0, 1]") }
        try within("max_steps", maxSteps, 1...TrainingConfiguration.maxStepCount)
        try finitePositive("num_train_epochs", numTrainEpochs)
        try atLeast("save_steps", saveSteps, 0, " (0: only at the end)")
        try atLeast("eval_steps", evalSteps, 0, " (0: only at the end)")
        try atLeast("logging_steps", loggingSteps, 1)
        try lrScheduler.validate(peak: lr)
    }
}
