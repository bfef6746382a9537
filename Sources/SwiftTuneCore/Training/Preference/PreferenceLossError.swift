/// Bad input to a preference loss, naming the field and what was expected. Thrown before any computation.
public enum PreferenceLossError: Error, Equatable, CustomStringConvertible {
    /// A tensor or list has the wrong length or shape.
    case shapeMismatch(field: String, expected: String, got: String)
    /// A hyperparameter is outside its allowed range.
    case invalidHyperparameter(name: String, value: Double, requirement: String)
    /// `loss_weights` does not have one weight per loss type.
    case lossWeightsCount(lossTypes: Int, weights: Int)
    /// A sequence whose per-token mean is needed has no scored token.
    case emptyCompletion(field: String, index: Int)
    /// The batch has no examples.
    case emptyBatch(field: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(field, expected, got): "\(field): expected \(expected), got \(got)"
        case let .invalidHyperparameter(name, value, requirement): "\(name) = \(value): must be \(requirement)"
        case let .lossWeightsCount(lossTypes, weights):
            "loss_weights: \(weights) weights for \(lossTypes) loss types (need one per loss type)"
        case let .emptyCompletion(field, index): "\(field)[\(index)]: no scored token, the mean log-probability is undefined"
        case let .emptyBatch(field): "\(field): the batch is empty"
        }
    }
}
