/// A training job that cannot start, or that had to stop.
///
/// Every case names what is wrong: the setting (by its ms-swift name), the row, the checkpoint file or the step.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// The dataset gave no sample that scores a token.
    case noSamples
    /// The model has no trainable parameter.
    case nothingToTrain
    /// A sample holds token `id`, outside a vocabulary of `vocabularySize` tokens.
    case tokenOutOfRange(Int, Int)
    /// A sample holds label `label` (neither −100 nor in the vocabulary of `vocabularySize` tokens).
    case labelOutOfRange(Int, Int)
    /// A sample of `length` tokens is longer than the model's `maxPositions` (`max_position_embeddings`).
    case sampleTooLong(length: Int, maxPositions: Int)
    /// A checkpoint folder that cannot be resumed: `path` and why.
    case badCheckpoint(path: String, reason: String)
    /// A combination of settings that cannot run.
    case invalidConfiguration(String)
    /// A setting outside its range: `field` is its ms-swift name (`max_steps`), `value` the value given and `allowed`
    /// the range (`an integer ≥ 1`).
    case outOfRange(field: String, value: String, allowed: String)
    /// Step `step` gave a loss or gradient norm that is not a finite number; the update was not applied.
    case nonFiniteStep(step: Int, loss: Double, gradientNorm: Double)
    /// After step `step`, the trainable parameter `path` holds a value that is not finite (nothing was saved).
    case nonFiniteParameter(step: Int, path: String)
    /// Resuming `checkpoint` with a run that differs from the one that wrote it: `field` names what differs,
    /// `checkpointValue` is the checkpoint's and `runValue` this run's.
    case resumeMismatch(checkpoint: String, field: String, checkpointValue: String, runValue: String)

    public var description: String {
        switch self {
        case .noSamples: return "the dataset gave no usable samples (all longer than --max-length, or none scored)"
        case .nothingToTrain: return "the model has no trainable parameters"
        case let .tokenOutOfRange(id, v): return "token id \(id) outside the model's vocabulary of \(v)"
        case let .labelOutOfRange(label, v):
            return "label \(label) is neither -100 (not scored) nor inside the model's vocabulary of \(v)"
        case let .sampleTooLong(length, positions):
            return "a sample of \(length) tokens is longer than the model's max_position_embeddings \(positions)"
        case let .badCheckpoint(path, reason): return "\(path): \(reason)"
        case let .invalidConfiguration(reason): return "invalid training configuration: \(reason)"
        case let .outOfRange(field, value, allowed): return "\(field) \(value) is out of range: must be \(allowed)"
        case let .nonFiniteStep(step, loss, norm):
            return "step \(step): the loss (\(loss)) or gradient norm (\(norm)) is not a finite number; the run stopped "
                + "before applying it (the last checkpoint is kept; --skip-nonfinite-steps skips such steps instead)"
        case let .nonFiniteParameter(step, path):
            return "after step \(step), parameter \(path) holds a value that is not finite (an update overflowed; try a "
                + "smaller learning rate); nothing was saved"
        case let .resumeMismatch(checkpoint, field, old, new):
            return "\(checkpoint): the checkpoint was trained with \(field) \(old), this run uses \(new); "
                + "resume it with the same settings, or start a new run"
        }
    }
}
