/// Bad input to the GRPO advantage or loss computation, naming the field and what was expected. Thrown before
/// any computation.
public enum GRPOError: Error, Equatable, CustomStringConvertible {
    /// A tensor or list has the wrong length or shape.
    case shapeMismatch(field: String, expected: String, got: String)
    /// A hyperparameter is outside its allowed range.
    case invalidHyperparameter(name: String, value: Double, requirement: String)
    /// The number of completions is not a multiple of `num_generations`.
    case notDivisible(completions: Int, numGenerations: Int)
    /// A value that must be finite is NaN or infinite.
    case nonFinite(field: String, index: Int, value: Double)
    /// The batch has no completions.
    case emptyBatch(field: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(field, expected, got): "\(field): expected \(expected), got \(got)"
        case let .invalidHyperparameter(name, value, requirement): "\(name) = \(value): must be \(requirement)"
        case let .notDivisible(completions, numGenerations):
            "num_generations = \(numGenerations): the \(completions) completions of the batch are not a multiple of it"
                + " (every prompt needs exactly num_generations completions)"
        case let .nonFinite(field, index, value): "\(field)[\(index)] = \(value): must be finite"
        case let .emptyBatch(field): "\(field): the batch is empty"
        }
    }
}
