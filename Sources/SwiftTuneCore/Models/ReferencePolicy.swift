import Foundation

/// The reference model π_ref of preference training (DPO, KTO): what the policy's log-probabilities are compared
/// with. It is never trained, and its log-probabilities are computed without recording gradients.
///
/// - ``adaptersDisabled(_:)``: a LoRA/DoRA policy with its adapters switched off, i.e. its base model, with no
///   weight copy (PEFT's `disable_adapter()`; ms-swift's and TRL's default for a PEFT policy without a reference).
/// - ``model(_:)``: a separate frozen model: another model folder (`--ref-model DIR`, the default for full
///   fine-tuning, as ms-swift loads a copy of the policy's model), or a base model with a frozen adapter
///   (`--ref-adapters DIR`); see ``frozen(modelFolder:adapterFolder:)``.
public enum ReferencePolicy<Scalar: TensorScalar> {
    /// The policy itself with every adapter off while the reference runs.
    case adaptersDisabled(CausalLanguageModel<Scalar>)
    /// A frozen model used as it is.
    case model(CausalLanguageModel<Scalar>)

    /// The model that runs the reference pass.
    public var underlyingModel: CausalLanguageModel<Scalar> {
        switch self {
        case let .adaptersDisabled(model), let .model(model): return model
        }
    }

    /// Per-token log-probabilities of `labels` under the reference, `[B · T]`, without gradients, aligned as
    /// ``CausalLanguageModel/tokenLogProbabilities(_:labels:shape:layout:)`` aligns them: entry `b·T + t` is
    /// log π_ref(labels[b, t + 1] | ids[b, ≤ t]) where that label is scored, 0 elsewhere.
    ///
    /// - Parameters:
    ///   - ids: `B·T` token ids, row-major.
    ///   - labels: `B·T` labels aligned with `ids`.
    ///   - shape: `[B, T]`.
    ///   - layout: packed segments / padding of the rows.
    /// - Throws: ``ModelInputError`` for bad input; ``LoRAError`` when merged adapters cannot be unmerged.
    public func tokenLogProbabilities(_ ids: [Int], labels: [Int], shape: [Int],
                                      layout: AttentionLayout? = nil) throws -> Tensor<Scalar> {
        switch self {
        case let .adaptersDisabled(model):
            return try model.withAdaptersDisabled {
                try withoutGradients { try model.tokenLogProbabilities(ids, labels: labels, shape: shape, layout: layout) }
            }
        case let .model(model):
            return try withoutGradients { try model.tokenLogProbabilities(ids, labels: labels, shape: shape, layout: layout) }
        }
    }

    /// ``tokenLogProbabilities(_:labels:shape:layout:)`` for a ``Batch``.
    public func tokenLogProbabilities(_ batch: Batch) throws -> Tensor<Scalar> {
        try tokenLogProbabilities(batch.ids, labels: batch.labels, shape: batch.shape, layout: batch.layout)
    }

    /// `model` frozen as a reference: every parameter stops training and adapter dropout is off.
    public static func frozen(_ model: CausalLanguageModel<Scalar>) -> ReferencePolicy {
        model.parameters.forEach { $0.isTrainable = false }
        model.setLoRATraining(false)
        return .model(model)
    }

    /// A reference loaded from disk: the model folder (`--ref-model DIR`, or the policy's base model for
    /// `--ref-adapters`), with the PEFT adapter folder `adapterFolder` loaded frozen on it when given.
    ///
    /// - Throws: ``ModelLoadingError`` / ``ModelConfigurationError`` for the model folder, ``LoRAError`` for the
    ///   adapter folder (each naming the file).
    public static func frozen(modelFolder: URL, adapterFolder: URL? = nil) throws -> ReferencePolicy {
        let model = try CausalLanguageModel<Scalar>.load(from: modelFolder)
        if let adapterFolder { try model.loadLoRAAdapter(from: adapterFolder, trainable: false) }
        return frozen(model)
    }
}
