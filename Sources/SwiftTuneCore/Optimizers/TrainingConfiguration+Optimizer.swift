extension TrainingConfiguration {
    /// The optimizer ``optimizer`` names, with this configuration's hyperparameters and
    /// ``effectiveLearningRate`` as its initial learning rate (the one place that maps a configuration to an
    /// optimizer; ``Trainer`` uses it unless it is given one).
    ///
    /// - ``OptimizerKind/adamw``: ``AdamW`` with `adam_beta1`, `adam_beta2`, `adam_epsilon`, `weight_decay`;
    /// - ``OptimizerKind/sgd``: ``SGD`` with `sgd_momentum`, `sgd_nesterov`, `weight_decay`.
    ///
    /// Call it on a validated configuration (``validate()``): Nesterov momentum without momentum is refused there.
    public func makeOptimizer() -> any Optimizer<Float> {
        switch optimizer {
        case .adamw:
            return AdamW<Float>(learningRate: effectiveLearningRate, beta1: adamBeta1, beta2: adamBeta2,
                                epsilon: adamEpsilon, weightDecay: weightDecay)
        case .sgd:
            return SGD<Float>(learningRate: effectiveLearningRate, momentum: sgdMomentum, nesterov: sgdNesterov,
                              weightDecay: weightDecay)
        }
    }
}
