/// The response of a text completion (`object: "text_completion"`), also the shape of each streamed chunk (with
/// `choices: []` and `usage` for the usage chunk).
public struct TextCompletion: Codable, Sendable, Equatable {
    public struct Choice: Codable, Sendable, Equatable {
        public var index: Int
        public var text: String
        public var logprobs: CompletionLogprobs?
        public var finishReason: ChoiceFinish?
        enum CodingKeys: String, CodingKey { case index, text, logprobs, finishReason = "finish_reason" }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(text, forKey: .text)
            try c.encode(logprobs, forKey: .logprobs)
            try c.encode(finishReason, forKey: .finishReason)
        }
    }
    public var id: String
    public var object = "text_completion"
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: Usage?
}
