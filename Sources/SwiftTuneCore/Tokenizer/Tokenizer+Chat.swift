// Chat templates on a loaded tokenizer: the template the model folder carries, the variables transformers passes,
// and conversations tokenized so a trainer knows which tokens are assistant turns.

/// A tokenized conversation: ids, and for each id the assistant message whose turn it belongs to.
public struct TokenizedChat: Sendable, Equatable {
    /// The token ids of the rendered conversation (equal to encoding the whole rendered text).
    public var ids: [Int]
    /// `messageIndices[i]` is the index of the assistant message whose turn `ids[i]` belongs to, `nil` for markup.
    public var messageIndices: [Int?]
    /// True when encoding the pieces separately did not give the ids of the whole text, so the turn boundaries
    /// were found by encoding prefixes of the text instead (a token that straddles a boundary counts for the turn
    /// when it starts inside it).
    public var labelsFromPrefixes: Bool

    /// `isTrainable[i]` is true when `ids[i]` belongs to an assistant turn.
    public var isTrainable: [Bool] { messageIndices.map { $0 != nil } }

    /// Labels for a causal-LM loss: the id where trainable, `ignoreIndex` elsewhere (shift them as the loss needs).
    public func labels(ignoreIndex: Int = -100) -> [Int] {
        zip(ids, messageIndices).map { $1 != nil ? $0 : ignoreIndex }
    }
}

extension Tokenizer {
    /// The variables transformers passes a template from this tokenizer: its special tokens (`bos_token`,
    /// `eos_token`, `pad_token`, `unk_token`, the ones it has), no tools, no documents.
    public var chatContext: ChatContext {
        var tokens: [String: String] = [:]
        tokens["bos_token"] = config.bosToken
        tokens["eos_token"] = config.eosToken
        tokens["pad_token"] = config.padToken
        tokens["unk_token"] = config.unkToken
        return ChatContext(specialTokens: tokens)
    }

    /// The template this tokenizer's folder carries: `chat_template.jinja` if present, else tokenizer_config.json's
    /// `chat_template` (a string, or the entry named "default" of a list; "tool_use" when `forTools` and the list has
    /// one, as transformers chooses), else `nil`.
    ///
    /// - Throws: ``JinjaError`` when the template does not compile (naming its file and line).
    public func folderChatTemplate(forTools: Bool = false) throws -> ChatTemplate? {
        if forTools, let toolUse = try namedFolderTemplates?["tool_use"]?.get() { return toolUse }
        return try folderTemplate?.get()
    }

    /// The template to use: `template` if given, else the folder's (``folderChatTemplate(forTools:)``), else a
    /// built-in one chosen by the vocabulary (ChatML when it has `<|im_start|>`, Llama-3 when it has
    /// `<|start_header_id|>`).
    ///
    /// - Throws: `TokenizerError.missingChatTemplate` naming the tokenizer file when none applies; ``JinjaError`` for
    ///   a folder template that does not compile.
    public func resolveChatTemplate(_ template: ChatTemplate? = nil, forTools: Bool = false) throws -> ChatTemplate {
        if let template { return template }
        if let own = try folderChatTemplate(forTools: forTools) { return own }
        if tokenToID("<|im_start|>") != nil && tokenToID("<|im_end|>") != nil { return .chatML }
        if tokenToID("<|start_header_id|>") != nil && tokenToID("<|eot_id|>") != nil { return .llama3 }
        throw TokenizerError.missingChatTemplate(path: path)
    }

    /// The prompt text of a conversation (what transformers' `apply_chat_template(…, tokenize=False)` returns).
    ///
    /// `context` defaults to ``chatContext``; pass a changed copy for tools or keyword arguments.
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool = false,
                                  template: ChatTemplate? = nil, context: ChatContext? = nil) throws -> String {
        let context = context ?? chatContext
        return try resolveChatTemplate(template, forTools: context.tools != nil)
            .render(messages, addGenerationPrompt: addGenerationPrompt, context: context)
    }

    /// Tokenizes a conversation (without adding special tokens: the template writes them) and marks the assistant
    /// turns (see ``ChatTemplate/segments(_:addGenerationPrompt:context:)``).
    ///
    /// The pieces are encoded separately so that no token straddles a turn boundary; their concatenation is checked
    /// against the encoding of the whole text. When they differ (a template whose boundary falls inside what the
    /// pre-tokenizer keeps as one word), the ids of the whole text are used and the boundaries come from encoding
    /// prefixes; ``TokenizedChat/labelsFromPrefixes`` says so.
    public func encodeChat(_ messages: [ChatMessage], addGenerationPrompt: Bool = false,
                           template: ChatTemplate? = nil, context: ChatContext? = nil) throws -> TokenizedChat {
        let context = context ?? chatContext
        let segments = try resolveChatTemplate(template, forTools: context.tools != nil)
            .segments(messages, addGenerationPrompt: addGenerationPrompt, context: context)
        var result = TokenizedChat(ids: [], messageIndices: [], labelsFromPrefixes: false)
        for segment in segments {
            let ids = encode(segment.text, addSpecialTokens: false)
            result.ids += ids
            result.messageIndices += repeatElement(segment.messageIndex, count: ids.count)
        }
        let text = segments.map(\.text).joined()
        let whole = encode(text, addSpecialTokens: false)
        if whole == result.ids { return result }
        return TokenizedChat(ids: whole, messageIndices: prefixOwners(of: segments, count: whole.count),
                             labelsFromPrefixes: true)
    }

    /// For each token of the whole text, the turn it starts in, from the token counts of the text's prefixes.
    private func prefixOwners(of segments: [ChatSegment], count: Int) -> [Int?] {
        var owners = [Int?](repeating: nil, count: count)
        var prefix = ""
        for segment in segments {
            let start = encode(prefix, addSpecialTokens: false).count
            prefix += segment.text
            guard let message = segment.messageIndex else { continue }
            let end = min(count, encode(prefix, addSpecialTokens: false).count)
            if start < end { for i in start..<end { owners[i] = message } }
        }
        return owners
    }
}
