import Foundation

/// A model folder that cannot be loaded; every case names the file and what is wrong with it.
public enum ModelLoadingError: Error, CustomStringConvertible, Equatable {
    case missingFile(String)
    case invalidConfiguration(file: String, reason: String)
    case missingTensor(file: String, name: String)
    case shapeMismatch(file: String, name: String, expected: [Int], actual: [Int])
    case unsupportedDType(file: String, name: String, dtype: String)
    /// The weights hold `count` tensors the configuration has no place for (`names`: the first few); `reason`
    /// says why (e.g. more layers than `num_hidden_layers`).
    case unexpectedTensors(file: String, names: [String], count: Int, reason: String)

    public var description: String {
        switch self {
        case let .missingFile(path): return "\(path): no such file (a model folder needs config.json and model.safetensors or model.safetensors.index.json)"
        case let .invalidConfiguration(file, reason): return "\(file): \(reason)"
        case let .missingTensor(file, name): return "\(file): tensor '\(name)' is missing"
        case let .shapeMismatch(file, name, expected, actual): return "\(file): tensor '\(name)' has shape \(actual), expected \(expected)"
        case let .unsupportedDType(file, name, dtype): return "\(file): tensor '\(name)' has dtype \(dtype), not a floating-point type"
        case let .unexpectedTensors(file, names, count, reason):
            let more = count > names.count ? " and \(count - names.count) more" : ""
            return "\(file): \(count) tensor(s) not used by the model: \(names.map { "'\($0)'" }.joined(separator: ", "))\(more); \(reason)"
        }
    }

    /// Turns a `DecodingError` into a sentence naming the key path.
    static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ keys: [CodingKey]) -> String { keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") }
        switch error {
        case let .keyNotFound(key, context): return "missing field '\(path(context.codingPath + [key]))'"
        case let .typeMismatch(type, context): return "field '\(path(context.codingPath))' is not a \(type)"
        case let .valueNotFound(type, context): return "field '\(path(context.codingPath))' is null, expected \(type)"
        case let .dataCorrupted(context):
            let at = path(context.codingPath)
            return at.isEmpty ? "not valid JSON (\(context.debugDescription))" : "field '\(at)': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
