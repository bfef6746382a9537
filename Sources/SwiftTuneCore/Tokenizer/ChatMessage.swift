// Chat messages and the rendered pieces of a conversation (what a trainer needs to mask non-assistant tokens).

/// One message of a conversation, as in transformers' `[{"role": …, "content": …}]`.
public struct ChatMessage: Codable, Sendable, Equatable {
    /// "system", "user", "assistant" (other roles are rendered like these; see `ChatTemplate`).
    public var role: String
    /// The message text.
    public var content: String
    /// Other keys of the message, in order, as the template sees them (`tool_calls`, `reasoning_content`,
    /// `tool_call_id`, `name`, …). A `content` key here replaces ``content`` (for example `.none` for an assistant
    /// message that only calls tools). Not part of the `Codable` form.
    public var extra: JinjaObject = JinjaObject()

    enum CodingKeys: String, CodingKey { case role, content }

    /// Creates a message.
    public init(role: String, content: String, extra: JinjaObject = JinjaObject()) {
        self.role = role
        self.content = content
        self.extra = extra
    }

    /// A message from a JSON-like object (`{"role": …, "content": …, "tool_calls": …}`). A `content` that is not a
    /// string (absent, `None`, a tool result object, a list of content parts) is kept in ``extra`` for the template,
    /// as is every other key.
    ///
    /// - Throws: `ChatMessageProblem` when `role` is missing or not a string.
    public init(_ object: JinjaObject) throws {
        guard case let .string(role)? = object["role"] else { throw ChatMessageProblem("has no 'role' string") }
        self.role = role
        self.content = ""
        var extra = JinjaObject()
        for key in object.keys where key != "role" {
            let value = object[key] ?? .none
            if key == "content", case let .string(text) = value { content = text; continue }
            extra[key] = value
        }
        if object["content"] == nil { extra["content"] = JinjaValue.none }   // absent stays absent to the template
        self.extra = extra
    }

    /// The object the template sees, tagged with `origin`, normalised as transformers 5 normalises messages before
    /// rendering (`_normalize_chat_messages`, `_alias_reasoning_fields`): `role`, `content`, then ``extra``'s keys;
    /// keys whose value is `None` dropped (so `"content": null` is undefined to the template); and when one of
    /// `reasoning_content`, `thinking`, `reasoning` is set, `{"thinking": r, **message, "reasoning_content": r}`.
    public func jinjaObject(origin: Int? = nil) -> JinjaObject {
        var pairs: [(String, JinjaValue)] = [("role", .string(role)), ("content", .string(content))]
        for key in extra.keys {
            let value = extra[key] ?? .none
            if let i = pairs.firstIndex(where: { $0.0 == key }) { pairs[i].1 = value } else { pairs.append((key, value)) }
        }
        pairs.removeAll { $0.1 == .none }
        if let reasoning = ["reasoning_content", "thinking", "reasoning"].lazy
            .compactMap({ key in pairs.first(where: { $0.0 == key })?.1 }).first {
            var aliased: [(String, JinjaValue)] = [("thinking", reasoning)]
            for (key, value) in pairs {
                if let i = aliased.firstIndex(where: { $0.0 == key }) { aliased[i].1 = value } else { aliased.append((key, value)) }
            }
            if let i = aliased.firstIndex(where: { $0.0 == "reasoning_content" }) {
                aliased[i].1 = reasoning
            } else {
                aliased.append(("reasoning_content", reasoning))
            }
            pairs = aliased
        }
        return JinjaObject(pairs, origin: origin)
    }

    /// A system message.
    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
    /// A user message.
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
    /// An assistant message.
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: content) }
}

/// Why a JSON object is not a chat message (the caller adds the file, line and message index).
public struct ChatMessageProblem: Error, CustomStringConvertible, Equatable, Sendable {
    /// What is wrong, e.g. "has no 'role' string".
    public var description: String
    /// Creates a problem description.
    public init(_ description: String) { self.description = description }
}

/// A piece of a rendered conversation: template markup, or the turn of one assistant message.
///
/// Concatenating the `text` of ``ChatTemplate/segments(_:addGenerationPrompt:context:)`` gives exactly
/// ``ChatTemplate/render(_:addGenerationPrompt:context:)``.
public struct ChatSegment: Sendable, Equatable {
    /// The rendered text.
    public var text: String
    /// For an assistant turn, the index of its message; `nil` for markup (role headers, BOS, other messages, the
    /// generation prompt, default system text).
    ///
    /// An assistant turn is what the template wrote for the message after the generation prompt's text: the
    /// content and the end-of-turn text written with it (`…<|im_end|>\n` in ChatML, `…<|eot_id|>` in Llama-3).
    public var messageIndex: Int?

    /// Creates a segment.
    public init(text: String, messageIndex: Int? = nil) {
        self.text = text
        self.messageIndex = messageIndex
    }

    /// True for an assistant turn: what supervised fine-tuning puts loss on (so the model learns to stop, too).
    public var isTrainable: Bool { messageIndex != nil }
}
