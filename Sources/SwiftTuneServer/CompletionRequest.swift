import Foundation

/// `POST /v1/completions`, read and checked.
public struct CompletionRequest: Sendable, Equatable {
    /// What to continue.
    public enum Prompt: Sendable, Equatable {
        case text(String)
        case tokens([Int])
    }

    public var model: String?
    public var prompt: Prompt
    public var parameters: GenerationParameters
    /// `logprobs`, 0…5: the chosen token's log-probability and this many alternatives per token; `nil`: none.
    public var logprobs: Int?
    /// `echo`: the prompt text is put before the completion.
    public var echo: Bool

    /// The most `logprobs` of a text completion (OpenAI's limit).
    public static let maxLogprobs = 5

    /// - Throws: ``APIError`` 400 naming the first bad or unsupported field.
    public init(_ body: JSONInput, maxChoices: Int, vocabularySize: Int) throws(APIError) {
        let f = try RequestFields(body)
        model = try f.string("model")
        guard let value = f["prompt"] else { throw APIError.invalidValue("prompt", "the field is required") }
        switch value {
        case let .string(s): prompt = .text(s)
        case let .array(items):
            if items.count == 1, case let .string(s) = items[0] {
                prompt = .text(s)
            } else if items.count == 1, case .array = items[0] {
                prompt = .tokens(try f.tokenIDs(items[0], name: "prompt[0]", vocabulary: vocabularySize))
            } else if let first = items.first, case .string = first {
                throw APIError.unsupported("prompt", "one prompt per request (got \(items.count)); send one request per prompt")
            } else {
                prompt = .tokens(try f.tokenIDs(value, name: "prompt", vocabulary: vocabularySize))
            }
        default: throw APIError.invalidValue("prompt", "expected a string or an array of token ids, got \(value.typeName)")
        }
        if case let .tokens(ids) = prompt, ids.isEmpty { throw APIError.invalidValue("prompt", "the prompt must not be empty") }
        parameters = try GenerationParameters.read(f, maxChoices: maxChoices, vocabularySize: vocabularySize)
        logprobs = try f.int("logprobs", in: 0...Self.maxLogprobs)
        echo = try f.bool("echo") ?? false
        if echo, logprobs != nil { throw APIError.unsupported("echo", "echo together with logprobs (prompt log-probabilities)") }
        try f.refuse("suffix")
    }
}
