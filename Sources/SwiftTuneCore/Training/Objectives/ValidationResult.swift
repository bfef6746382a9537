/// What ``TrainingObjective/evaluate(model:)`` computes on an objective's validation data (without gradients).
public struct ValidationResult: Sendable, Equatable {
    /// The validation loss (for SFT the mean over the validation samples' scored tokens).
    public var loss: Double
    /// Further metrics by key (e.g. `rewards/accuracies`); `swifttune` logs them with an `eval_` prefix.
    public var metrics: [String: Double]

    public init(loss: Double, metrics: [String: Double] = [:]) {
        self.loss = loss
        self.metrics = metrics
    }
}
