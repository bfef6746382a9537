/// A model configuration (`config.json`, or one built in code) whose values cannot describe a model SwiftTune can
/// build. Every case names the file and the field, the bad value and what is allowed.
///
/// ```swift
/// do { _ = try ModelFolder(url) }
/// catch let error as ModelConfigurationError { print(error) }
/// // "…/config.json: 'num_attention_heads' = 0: must be a positive integer"
/// ```
public enum ModelConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `field` holds `value`, which breaks `requirement` (e.g. "must be a positive integer").
    case invalidValue(file: String, field: String, value: String, requirement: String)
    /// The model's parameters (and rotary tables) would need more memory than the machine has: `bytes` as float32
    /// against `physicalMemory`; `nil` bytes means the count overflows a 64-bit integer. `fields` names the sizes
    /// that make it up.
    case exceedsMemory(file: String, fields: String, bytes: UInt64?, physicalMemory: UInt64)

    /// The file the error is about (`config.json` when the configuration was not read from a known path).
    public var file: String {
        switch self {
        case let .invalidValue(file, _, _, _), let .exceedsMemory(file, _, _, _): return file
        }
    }

    public var description: String {
        switch self {
        case let .invalidValue(file, field, value, requirement):
            return "\(file): '\(field)' = \(value): \(requirement)"
        case let .exceedsMemory(file, fields, bytes, memory):
            let size = bytes.map { "\(Self.gigabytes($0)) GB" } ?? "more than 2⁶⁴ bytes"
            return "\(file): a model of this size (\(fields)) needs \(size) as float32, more than the "
                + "\(Self.gigabytes(memory)) GB of physical memory"
        }
    }

    /// The same error attributed to `file` (decoding does not know the path it reads from).
    public func attributed(to file: String) -> ModelConfigurationError {
        switch self {
        case let .invalidValue(_, field, value, requirement):
            return .invalidValue(file: file, field: field, value: value, requirement: requirement)
        case let .exceedsMemory(_, fields, bytes, memory):
            return .exceedsMemory(file: file, fields: fields, bytes: bytes, physicalMemory: memory)
        }
    }

    static func gigabytes(_ bytes: UInt64) -> String {
        let value = Double(bytes) / 1e9
        return value >= 10 ? String(Int(value.rounded())) : String((value * 100).rounded() / 100)
    }
}
