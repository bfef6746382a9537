import Foundation
import SwiftTuneCore

/// Turns requests into prompt ids: conversations through the chat template (the folder's own, or `--template`),
/// text through the tokenizer.
public struct PromptBuilder: Sendable {
    public let tokenizer: Tokenizer
    public let template: ChatTemplate?
    public let context: ChatContext
    /// A system message put first in conversations that have none (`--system`).
    public let defaultSystem: String?

    public init(tokenizer: Tokenizer, template: ChatTemplate? = nil, context: ChatContext? = nil, defaultSystem: String? = nil) {
        self.tokenizer = tokenizer
        self.template = template
        self.context = context ?? tokenizer.chatContext
        self.defaultSystem = defaultSystem
    }

    /// The ids of a conversation with the generation prompt added.
    /// - Throws: ``APIError`` 400 (param `messages`) when the template fails on it or the model has no template.
    public func chat(_ messages: [ChatMessage]) throws(APIError) -> [Int] {
        var messages = messages
        if let defaultSystem, messages.first?.role != "system" { messages.insert(.system(defaultSystem), at: 0) }
        do {
            return try tokenizer.encodeChat(messages, addGenerationPrompt: true, template: template, context: context).ids
        } catch {
            throw APIError.badRequest("The chat template cannot render these messages: \(error)", param: "messages")
        }
    }

    /// The ids of a text prompt (with the tokenizer's special tokens, as `swifttune infer` encodes `{"query"}` text).
    public func text(_ text: String) -> [Int] { tokenizer.encode(text) }
}
