/// Why a choice ended, as OpenAI reports it: `stop` (an end-of-sequence token, a stop token or a stop string) or
/// `length` (`max_tokens`, or the model length).
public enum ChoiceFinish: String, Codable, Sendable, Equatable {
    case stop, length
}

/// The response of a chat completion without streaming (`object: "chat.completion"`).
public struct ChatCompletion: Codable, Sendable, Equatable {
    public struct Message: Codable, Sendable, Equatable {
        public var role: String
        public var content: String
    }
    public struct Choice: Codable, Sendable, Equatable {
        public var index: Int
        public var message: Message
        public var logprobs: ChatLogprobs?
        public var finishReason: ChoiceFinish
        enum CodingKeys: String, CodingKey { case index, message, logprobs, finishReason = "finish_reason" }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(message, forKey: .message)
            try c.encode(logprobs, forKey: .logprobs)   // null when not asked, as OpenAI sends it
            try c.encode(finishReason, forKey: .finishReason)
        }
    }
    public var id: String
    public var object = "chat.completion"
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: Usage
}

/// One server-sent event of a streamed chat completion (`object: "chat.completion.chunk"`): the role, a content
/// delta, the finish reason, or (with `choices: []`) the usage.
public struct ChatCompletionChunk: Codable, Sendable, Equatable {
    public struct Delta: Codable, Sendable, Equatable {
        public var role: String?
        public var content: String?
    }
    public struct Choice: Codable, Sendable, Equatable {
        public var index: Int
        public var delta: Delta
        public var logprobs: ChatLogprobs?
        public var finishReason: ChoiceFinish?
        enum CodingKeys: String, CodingKey { case index, delta, logprobs, finishReason = "finish_reason" }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(delta, forKey: .delta)
            try c.encode(logprobs, forKey: .logprobs)
            try c.encode(finishReason, forKey: .finishReason)
        }
    }
    public var id: String
    public var object = "chat.completion.chunk"
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: Usage?
}
