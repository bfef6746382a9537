import Foundation

/// The sampling and stopping fields that chat and text completions share, checked (OpenAI's ranges; vLLM's for its
/// extensions `top_k`, `min_p`, `repetition_penalty`, `ignore_eos`, `stop_token_ids`, `skip_special_tokens`).
public struct GenerationParameters: Sendable, Equatable {
    /// `max_completion_tokens` if given, else `max_tokens`; `nil`: up to the model length (vLLM's default).
    public var maxTokens: Int?
    /// [0, 2]; 0 is greedy. OpenAI's default 1.
    public var temperature: Double = 1
    /// (0, 1].
    public var topP: Double = 1
    /// 0 (or vLLM's −1) keeps every token.
    public var topK: Int = 0
    /// [0, 1]; 0 is off.
    public var minP: Double = 0
    /// > 0; 1 is off.
    public var repetitionPenalty: Double = 1
    /// [−2, 2].
    public var presencePenalty: Double = 0
    /// [−2, 2].
    public var frequencyPenalty: Double = 0
    /// Choices per request, 1…the server's batch size.
    public var n: Int = 1
    /// At most 4 stop strings, matched across token boundaries and left out of the text.
    public var stop: [String] = []
    /// Extra token ids that end a choice (vLLM's `stop_token_ids`).
    public var stopTokenIDs: [Int] = []
    /// The seed; `nil`: the server draws one.
    public var seed: UInt64?
    /// Server-sent events instead of one JSON response.
    public var stream = false
    /// `stream_options.include_usage`: a last chunk with `usage`.
    public var includeUsage = false
    /// vLLM's `ignore_eos`: generate `max_tokens` even past the end-of-sequence token.
    public var ignoreEOS = false
    /// vLLM's `skip_special_tokens` (default true): special tokens are left out of the text.
    public var skipSpecialTokens = true

    public init() {}

    /// The most stop strings a request may give (OpenAI's limit).
    public static let maxStopStrings = 4

    /// Reads the shared fields of `fields`.
    /// - Parameters:
    ///   - maxChoices: the largest `n` (the server's `--max-batch-size`: every choice is a row of the batch).
    ///   - vocabularySize: bounds `stop_token_ids`.
    /// - Throws: ``APIError`` 400 naming the first bad or unsupported field.
    public static func read(_ fields: RequestFields, maxChoices: Int, vocabularySize: Int) throws(APIError) -> GenerationParameters {
        var p = GenerationParameters()
        let maxTokens = try fields.int("max_tokens", in: 1...Int(Int32.max))
        let maxCompletionTokens = try fields.int("max_completion_tokens", in: 1...Int(Int32.max))
        p.maxTokens = maxCompletionTokens ?? maxTokens
        p.temperature = try fields.number("temperature", "in [0, 2]") { $0 >= 0 && $0 <= 2 } ?? 1
        p.topP = try fields.number("top_p", "in (0, 1]") { $0 > 0 && $0 <= 1 } ?? 1
        let topK = try fields.int("top_k", in: -1...Int(Int32.max)) ?? 0
        p.topK = max(0, topK)
        p.minP = try fields.number("min_p", "in [0, 1]") { $0 >= 0 && $0 <= 1 } ?? 0
        p.repetitionPenalty = try fields.number("repetition_penalty", "> 0 (1 is off)") { $0 > 0 } ?? 1
        p.presencePenalty = try fields.number("presence_penalty", "in [-2, 2]") { $0 >= -2 && $0 <= 2 } ?? 0
        p.frequencyPenalty = try fields.number("frequency_penalty", "in [-2, 2]") { $0 >= -2 && $0 <= 2 } ?? 0
        p.n = try fields.int("n", in: 1...max(1, maxChoices)) ?? 1
        p.stop = try fields.stopStrings("stop", limit: maxStopStrings)
        if let ids = fields["stop_token_ids"] {
            p.stopTokenIDs = try fields.tokenIDs(ids, name: fields.name("stop_token_ids"), vocabulary: vocabularySize)
        }
        p.seed = try fields.integer("seed", in: Int64.min...Int64.max).map { UInt64(bitPattern: $0) }
        p.stream = try fields.bool("stream") ?? false
        if let options = fields["stream_options"] {
            guard p.stream else {
                throw APIError.invalidValue(fields.name("stream_options"), "stream_options is only allowed when stream is true")
            }
            let o = try RequestFields(options, path: fields.name("stream_options"))
            p.includeUsage = try o.bool("include_usage") ?? false
            try o.refuse("continuous_usage_stats", unless: Harmless.falseOrNull)
        }
        p.ignoreEOS = try fields.bool("ignore_eos") ?? false
        p.skipSpecialTokens = try fields.bool("skip_special_tokens") ?? true
        if let bestOf = try fields.int("best_of", in: 1...Int(Int32.max)), bestOf != p.n {
            throw APIError.unsupported(fields.name("best_of"), "best_of must equal n (no server-side ranking)")
        }
        for key in ["logit_bias", "bad_words", "allowed_token_ids", "logits_processors", "guided_json", "guided_regex",
                    "guided_choice", "guided_grammar", "guided_decoding_backend", "guided_whitespace_pattern",
                    "structured_outputs", "prediction", "audio", "truncate_prompt_tokens"] {
            try fields.refuse(key)
        }
        try fields.refuse("response_format", unless: Harmless.textResponseFormat)
        try fields.refuse("use_beam_search", unless: Harmless.falseOrNull)
        try fields.refuse("include_stop_str_in_output", unless: Harmless.falseOrNull)
        try fields.refuse("min_tokens", unless: Harmless.zeroOrNull)
        try fields.refuse("length_penalty", unless: Harmless.oneOrNull)
        try fields.refuse("prompt_logprobs", unless: Harmless.zeroOrNull)
        try fields.refuse("modalities", unless: Harmless.textModality)
        return p
    }
}

/// The values of refused fields that change nothing.
enum Harmless {
    static func falseOrNull(_ v: JSONInput) -> Bool { v == .null || v == .bool(false) }
    static func zeroOrNull(_ v: JSONInput) -> Bool {
        if case let .number(n, _) = v { return n == 0 }
        return v == .null
    }
    static func oneOrNull(_ v: JSONInput) -> Bool {
        if case let .number(n, _) = v { return n == 1 }
        return v == .null
    }
    static func textResponseFormat(_ v: JSONInput) -> Bool {
        v == .null || v == .object(["type": .string("text")])
    }
    static func textModality(_ v: JSONInput) -> Bool { v == .null || v == .array([.string("text")]) }
    static func noneOrAuto(_ v: JSONInput) -> Bool { v == .null || v == .string("none") || v == .string("auto") }
}
