/// A reward function that cannot be built or cannot score a batch, naming the function, option or column.
public enum RewardError: Error, Equatable, CustomStringConvertible {
    /// `--reward-funcs` names no built-in reward.
    case unknownFunction(name: String, known: [String])
    /// A row lacks the column a reward needs.
    case missingColumn(reward: String, column: String, row: Int)
    /// A row's column has the wrong JSON type.
    case columnType(reward: String, column: String, row: Int, expected: String, got: String)
    /// A reward option is outside its allowed range.
    case invalidOption(name: String, value: String, requirement: String)
    /// A dataset line is not a JSON object.
    case invalidRow(reason: String)
    /// A reward function returned a different number of scores than completions.
    case scoreCount(reward: String, expected: Int, got: Int)

    public var description: String {
        switch self {
        case let .unknownFunction(name, known):
            "--reward-funcs: unknown reward function '\(name)' (known: \(known.joined(separator: ", ")))"
        case let .missingColumn(reward, column, row):
            "reward '\(reward)': row \(row) has no '\(column)' column (the reward compares the completion with it)"
        case let .columnType(reward, column, row, expected, got):
            "reward '\(reward)': row \(row) column '\(column)' must be \(expected), got \(got)"
        case let .invalidOption(name, value, requirement): "\(name) = \(value): must be \(requirement)"
        case let .invalidRow(reason): "dataset row: \(reason)"
        case let .scoreCount(reward, expected, got): "reward '\(reward)': \(got) scores for \(expected) completions"
        }
    }
}
