import Foundation
import SwiftTuneCore

/// `POST /v1/chat/completions`, read and checked.
public struct ChatCompletionRequest: Sendable, Equatable {
    /// The base model's served name or an adapter's; `nil`: the base.
    public var model: String?
    /// The conversation (text content only).
    public var messages: [ChatMessage]
    public var parameters: GenerationParameters
    /// `logprobs: true`: each choice's tokens with their log-probabilities.
    public var logprobs: Bool
    /// `top_logprobs`, 0…20 (needs `logprobs: true`).
    public var topLogprobs: Int

    /// The most `top_logprobs` of a chat request (OpenAI's limit).
    public static let maxTopLogprobs = 20

    /// - Throws: ``APIError`` 400 naming the first bad or unsupported field.
    public init(_ body: JSONInput, maxChoices: Int, vocabularySize: Int) throws(APIError) {
        let f = try RequestFields(body)
        model = try f.string("model")
        guard let list = f["messages"] else { throw APIError.invalidValue("messages", "the field is required") }
        guard case let .array(items) = list, !items.isEmpty else {
            throw APIError.invalidValue("messages", "expected a non-empty array of messages")
        }
        var messages: [ChatMessage] = []
        for (i, item) in items.enumerated() { messages.append(try Self.message(item, path: "messages[\(i)]")) }
        self.messages = messages
        parameters = try GenerationParameters.read(f, maxChoices: maxChoices, vocabularySize: vocabularySize)
        logprobs = try f.bool("logprobs") ?? false
        let top = try f.int("top_logprobs", in: 0...Self.maxTopLogprobs)
        if let top, top > 0, !logprobs {
            throw APIError.invalidValue("top_logprobs", "top_logprobs needs logprobs set to true")
        }
        topLogprobs = top ?? 0
        for key in ["tools", "functions", "chat_template", "chat_template_kwargs", "documents", "web_search_options"] {
            try f.refuse(key)
        }
        try f.refuse("tool_choice", unless: Harmless.noneOrAuto)
        try f.refuse("function_call", unless: Harmless.noneOrAuto)
        try f.refuse("echo", unless: Harmless.falseOrNull)
        try f.refuse("continue_final_message", unless: Harmless.falseOrNull)
        try f.refuse("add_generation_prompt", unless: { $0 == .null || $0 == .bool(true) })
    }

    /// One message: `role` and `content` (a string, or text parts `[{"type": "text", "text": …}]`).
    static func message(_ value: JSONInput, path: String) throws(APIError) -> ChatMessage {
        let m = try RequestFields(value, path: path)
        guard let role = try m.string("role") else { throw APIError.invalidValue(m.name("role"), "the field is required") }
        guard !role.isEmpty else { throw APIError.invalidValue(m.name("role"), "must not be empty") }
        try m.refuse("tool_calls", "tool calls are not supported")
        try m.refuse("function_call", "function calls are not supported")
        if role == "tool" || role == "function" { throw APIError.unsupported(m.name("role"), "'\(role)' messages need tool support") }
        let content: String
        switch m["content"] {
        case nil:
            guard role == "assistant" else { throw APIError.invalidValue(m.name("content"), "the field is required") }
            content = ""
        case let .string(s)?: content = s
        case let .array(parts)?:
            var text = ""
            for (j, part) in parts.enumerated() {
                let p = try RequestFields(part, path: m.name("content") + "[\(j)]")
                let type = try p.string("type")
                guard type == "text" else {
                    throw APIError.unsupported(p.name("type"), "only text content parts are supported, not '\(type ?? "null")'")
                }
                guard let piece = try p.string("text") else { throw APIError.invalidValue(p.name("text"), "the field is required") }
                text += piece
            }
            content = text
        case let other?:
            throw APIError.invalidValue(m.name("content"), "expected a string or an array of content parts, got \(other.typeName)")
        }
        return ChatMessage(role: role, content: content)
    }
}
