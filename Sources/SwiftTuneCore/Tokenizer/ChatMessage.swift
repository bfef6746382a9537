// Chat messages and the rendered pieces of a conversation (what a trainer needs to mask non-assistant tokens).

/// One message of a conversation, as in transformers' `[{"role": …, "content": …}]`.
public struct ChatMessage: Codable, Sendable, Equatable {
    /// "system", "user", "assistant" (other roles are rendered like these; see `ChatTemplate`).
    public var role: String
    /// The message text.
    public var content: String

    /// Creates a message.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    /// A system message.
    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
    /// A user message.
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
    /// An assistant message.
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: content) }
}

/// A piece of a rendered conversation: template markup, a message's content, or the token that ends a turn.
///
/// Concatenating the `text` of `ChatTemplate.segments(messages:addGenerationPrompt:)` gives exactly
/// `ChatTemplate.render(messages:addGenerationPrompt:)`.
public struct ChatSegment: Sendable, Equatable {
    /// What a segment is.
    public enum Kind: Sendable, Equatable {
        /// Role headers, BOS, separators, the generation prompt, a template's default system text.
        case markup
        /// The (possibly trimmed) content of the message at `messageIndex`.
        case content(role: String)
        /// The end-of-turn token of the message at `messageIndex` (`<|im_end|>`, `<|eot_id|>`).
        case endOfTurn(role: String)
    }

    /// The rendered text.
    public var text: String
    /// What the text is.
    public var kind: Kind
    /// The index in the input messages, for content and end-of-turn segments.
    public var messageIndex: Int?

    /// Creates a segment.
    public init(text: String, kind: Kind, messageIndex: Int? = nil) {
        self.text = text
        self.kind = kind
        self.messageIndex = messageIndex
    }

    /// True for the content of an assistant message.
    public var isAssistantContent: Bool { kind == .content(role: "assistant") }

    /// True for what supervised fine-tuning usually puts loss on: assistant content and the end-of-turn token
    /// that follows it (so the model learns to stop).
    public var isTrainable: Bool { kind == .content(role: "assistant") || kind == .endOfTurn(role: "assistant") }
}
