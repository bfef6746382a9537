// Chat templates on a loaded tokenizer: the template from tokenizer_config.json, and conversations tokenized
// segment by segment so a trainer knows which tokens belong to assistant turns.

/// A tokenized conversation: ids, and for each id whether it belongs to an assistant turn
/// (assistant content and its end-of-turn token; see `ChatSegment.isTrainable`).
public struct TokenizedChat: Sendable, Equatable {
    /// The token ids of the rendered conversation.
    public var ids: [Int]
    /// `isTrainable[i]` is true when `ids[i]` belongs to an assistant turn.
    public var isTrainable: [Bool]

    /// Labels for a causal-LM loss: the id where trainable, `ignoreIndex` elsewhere (shift them as the loss needs).
    public func labels(ignoreIndex: Int = -100) -> [Int] {
        zip(ids, isTrainable).map { $1 ? $0 : ignoreIndex }
    }
}

extension Tokenizer {
    /// The built-in template matching tokenizer_config.json's `chat_template`, or `nil` when there is none or
    /// SwiftTune does not recognise it (see `ChatTemplate.detect(jinja:bosToken:)`).
    public var chatTemplate: ChatTemplate? {
        config.chatTemplate.flatMap { ChatTemplate.detect(jinja: $0, bosToken: config.bosToken) }
    }

    /// The template to use: `template` if given, else the recognised one from tokenizer_config.json.
    ///
    /// - Throws: `TokenizerError.unrecognizedChatTemplate` naming the tokenizer file when neither exists.
    public func resolveChatTemplate(_ template: ChatTemplate? = nil) throws -> ChatTemplate {
        if let template { return template }
        guard let detected = chatTemplate else { throw TokenizerError.unrecognizedChatTemplate(path: path) }
        return detected
    }

    /// The prompt text of a conversation (what transformers' `apply_chat_template(…, tokenize=False)` returns).
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool = false,
                                  template: ChatTemplate? = nil) throws -> String {
        try resolveChatTemplate(template).render(messages: messages, addGenerationPrompt: addGenerationPrompt)
    }

    /// Tokenizes a conversation segment by segment (without adding special tokens: the template has them) and
    /// marks the assistant tokens.
    ///
    /// Segments are encoded separately, so a token can never straddle an assistant boundary. For the
    /// ChatML and Llama-3 layouts this gives the same ids as encoding the whole rendered text, because every
    /// boundary sits next to a special token or a newline the pre-tokenizer splits at anyway; content that itself
    /// starts with a newline (ChatML: `assistant\n` + `\n…`) is the exception, where the whole-text encoding may
    /// merge the two newlines into one token.
    public func encodeChat(_ messages: [ChatMessage], addGenerationPrompt: Bool = false,
                           template: ChatTemplate? = nil) throws -> TokenizedChat {
        let segments = try resolveChatTemplate(template).segments(messages: messages,
                                                                  addGenerationPrompt: addGenerationPrompt)
        var result = TokenizedChat(ids: [], isTrainable: [])
        for segment in segments {
            let ids = encode(segment.text, addSpecialTokens: false)
            result.ids += ids
            result.isTrainable += repeatElement(segment.isTrainable, count: ids.count)
        }
        return result
    }
}
