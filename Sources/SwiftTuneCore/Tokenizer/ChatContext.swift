// The variables a chat template sees besides `messages` and `add_generation_prompt`, as transformers passes them.

/// What a chat template is rendered with, besides the messages.
///
/// transformers calls `template.render(messages=…, tools=…, documents=…, add_generation_prompt=…, **kwargs)`
/// where `kwargs` is the tokenizer's `special_tokens_map` (`bos_token`, `eos_token`, `unk_token`, `pad_token`; a
/// token the tokenizer does not have is absent, so the template sees it undefined) updated with the caller's keyword
/// arguments. ``variables(messages:addGenerationPrompt:)`` builds exactly that mapping; ``keywordArguments`` win
/// over the special tokens.
///
/// ```swift
/// var context = tokenizer.chatContext
/// context.keywordArguments["enable_thinking"] = .bool(false)   // Qwen3 without thinking
/// let prompt = try tokenizer.applyChatTemplate([.user("Hi")], addGenerationPrompt: true, context: context)
/// ```
public struct ChatContext: Sendable, Equatable {
    /// Special token texts by variable name (`"bos_token": "<|begin_of_text|>"`).
    public var specialTokens: [String: String]
    /// The `tools` variable: a list of JSON-schema function descriptions, or `nil` for Python's `None`.
    public var tools: [JinjaValue]?
    /// The `documents` variable (retrieval-augmented templates), or `nil` for `None`.
    public var documents: [JinjaValue]?
    /// Extra keyword arguments (`enable_thinking`, `date_string`, …; the CLI's `--template-kwargs`).
    public var keywordArguments: [String: JinjaValue]

    /// Creates a context; everything defaults to empty / `None`.
    public init(specialTokens: [String: String] = [:], tools: [JinjaValue]? = nil, documents: [JinjaValue]? = nil,
                keywordArguments: [String: JinjaValue] = [:]) {
        self.specialTokens = specialTokens
        self.tools = tools
        self.documents = documents
        self.keywordArguments = keywordArguments
    }

    /// The template's variables; message `i` is an object tagged with origin `i` so rendering can tell which bytes
    /// each message's iteration wrote.
    public func variables(messages: [ChatMessage], addGenerationPrompt: Bool) -> [String: JinjaValue] {
        var v: [String: JinjaValue] = [:]
        for (key, token) in specialTokens { v[key] = .string(token) }
        for (key, value) in keywordArguments { v[key] = value }
        v["messages"] = .array(messages.enumerated().map { .object($1.jinjaObject(origin: $0)) })
        v["tools"] = tools.map { .array($0) } ?? JinjaValue.none
        v["documents"] = documents.map { .array($0) } ?? JinjaValue.none
        v["add_generation_prompt"] = .bool(addGenerationPrompt)
        return v
    }
}
