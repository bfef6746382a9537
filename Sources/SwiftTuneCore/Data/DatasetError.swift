/// A dataset file that cannot be read, or a row of it that cannot be used; every case names the file (and line).
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String)
    case badRow(file: String, line: Int, reason: String)
    case empty(file: String)
    /// Line `line` holds `bytes` bytes, more than the `limit` (`--max-row-bytes`); it was not decoded.
    case rowTooLarge(file: String, line: Int, bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case let .unreadable(file): return "\(file): cannot read the file"
        case let .badRow(file, line, reason): return "\(file):\(line): \(reason)"
        case let .empty(file): return "\(file): no rows"
        case let .rowTooLarge(file, line, bytes, limit):
            return "\(file):\(line): the line has \(bytes) bytes, more than the limit of \(limit) (--max-row-bytes)"
        }
    }
}
