/// A request or setting the ``DecodingSession`` refuses, before any work. Every case names the field.
/// (Named apart from Swift's `DecodingError` of `Codable`.)
public enum DecodingSessionError: Error, Equatable, CustomStringConvertible {
    /// A setting (`name`: `maxRows`, `maxLength`, `prefillTokens`, `max_new_tokens`, `top_logprobs`, `adapter
    /// name`, …) holds `value`, outside `requirement`.
    case invalidSetting(name: String, value: String, requirement: String)
    /// The prompt has no token.
    case emptyPrompt
    /// Prompt token `id` at `index` lies outside `0..<vocabularySize`.
    case tokenOutOfRange(id: Int, index: Int, vocabularySize: Int)
    /// `promptTokens` + `maxNewTokens` exceeds the session's `maxLength` (the model's context for this session).
    case contextLengthExceeded(promptTokens: Int, maxNewTokens: Int, maxLength: Int)
    /// All `maxRows` rows are busy; admit again after a row finishes.
    case noFreeRow(maxRows: Int)
    /// The request names an adapter the session's ``AdapterBank`` does not hold.
    case unknownAdapter(name: String, available: [String])
    /// A projection of the model cannot run on the decoding path (`reason` says why).
    case unsupportedProjection(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidSetting(name, value, requirement): return "\(name) = \(value): \(requirement)"
        case .emptyPrompt: return "prompt: needs at least one token"
        case let .tokenOutOfRange(id, index, vocabularySize):
            return "prompt[\(index)] = \(id): token ids must be in 0..<\(vocabularySize)"
        case let .contextLengthExceeded(prompt, maxNew, maxLength):
            return "the prompt (\(prompt) tokens) + max_new_tokens (\(maxNew)) exceeds the maximum length \(maxLength)"
        case let .noFreeRow(maxRows): return "all \(maxRows) rows are busy"
        case let .unknownAdapter(name, available):
            return "adapter \"\(name)\" is not loaded (loaded: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case let .unsupportedProjection(path, reason): return "\(path): \(reason)"
        }
    }
}
