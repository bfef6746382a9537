/// Errors for input that comes from a user or a file (programming errors are preconditions instead).
public enum TensorError: Error, CustomStringConvertible, Equatable {
    /// Two shapes that had to agree did not; `context` names the operation or the file.
    case shapeMismatch(expected: [Int], actual: [Int], context: String)
    /// Shapes that cannot broadcast together.
    case notBroadcastable([Int], [Int], context: String)
    /// A value outside its valid range, such as a token id ≥ the vocabulary size.
    case outOfRange(value: Int, range: Range<Int>, context: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(expected, actual, context):
            return "\(context): expected shape \(expected), got \(actual)"
        case let .notBroadcastable(a, b, context):
            return "\(context): shapes \(a) and \(b) do not broadcast"
        case let .outOfRange(value, range, context):
            return "\(context): value \(value) outside \(range.lowerBound)..<\(range.upperBound)"
        }
    }
}
