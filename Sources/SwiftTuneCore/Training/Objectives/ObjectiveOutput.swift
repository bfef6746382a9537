/// What ``TrainingObjective/loss(units:model:normalizer:)`` returns for one micro-batch.
public struct ObjectiveOutput {
    /// The micro-batch's loss divided by the step's normaliser: a scalar (shape `[]`) to back-propagate.
    public var loss: Tensor<Float>
    /// Metrics by log key (`rewards/chosen`, `logps/rejected`…), combined over the step's micro-batches by
    /// ``StepMetrics`` and reported in ``TrainingProgress/metrics``.
    public var metrics: [String: MetricValue]

    public init(loss: Tensor<Float>, metrics: [String: MetricValue] = [:]) {
        self.loss = loss
        self.metrics = metrics
    }
}
