// Chat templates SwiftTune reproduces without running Jinja: ChatML (Qwen) and Llama-3. Each renders byte for
// byte what transformers' `apply_chat_template(messages, tokenize=False)` renders with the model's own template
// for plain system/user/assistant conversations (Tests/SwiftTuneCoreTests/Tokenizer checks this against
// transformers' output). Tool calls, tool messages and multimodal content are not modelled.

/// A chat template: how a list of messages becomes the prompt text the model was trained on.
///
/// - ChatML (`.chatML`, `.qwen2`, `.qwen2_5`): `<|im_start|>{role}\n{content}<|im_end|>\n` per message;
///   generation prompt `<|im_start|>assistant\n`. Content is not trimmed. Qwen's templates insert a default system
///   message when the first message is not a system message: Qwen2.5's is "You are Qwen, created by Alibaba Cloud.
///   You are a helpful assistant.", Qwen2's "You are a helpful assistant."; SwiftTune does the same (it renders it
///   as markup, so it never carries loss), and also for an empty conversation (where the Jinja template raises).
/// - Llama-3 (`.llama3`): `<|begin_of_text|>` before the first message, then
///   `<|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>` with the content trimmed of leading and
///   trailing whitespace (Jinja's `trim`, i.e. Python's `str.strip()`); generation prompt
///   `<|start_header_id|>assistant<|end_header_id|>\n\n`. No default system message. Llama-3.1+ templates (with
///   "Cutting Knowledge Date") are not recognised.
///
/// The rendered text already contains BOS where the template puts it, so encode it with
/// `addSpecialTokens: false` (as transformers does when `apply_chat_template` tokenizes).
///
/// ```swift
/// let template = try ChatTemplate(named: "qwen2.5")
/// let prompt = template.render(messages: [.user("Hi")], addGenerationPrompt: true)
/// // "<|im_start|>system\nYou are Qwen, …<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
/// ```
public struct ChatTemplate: Sendable, Equatable {
    /// The two template families SwiftTune renders.
    public enum Format: String, Sendable, Equatable {
        /// `<|im_start|>` / `<|im_end|>` (Qwen, many others).
        case chatML
        /// `<|start_header_id|>` / `<|end_header_id|>` / `<|eot_id|>` (Llama 3).
        case llama3
    }

    /// A short name (`"chatml"`, `"qwen2"`, `"qwen2.5"`, `"llama3"`, or `"detected-…"`).
    public var name: String
    /// The family.
    public var format: Format
    /// ChatML: the system message inserted when the conversation does not start with one.
    public var defaultSystemMessage: String?
    /// Llama-3: the text put before the first message (the tokenizer's `bos_token`).
    public var bosToken: String
    /// Llama-3: trim message content as the template's `| trim` does.
    public var trimsContent: Bool

    /// Creates a template description.
    public init(name: String, format: Format, defaultSystemMessage: String? = nil, bosToken: String = "",
                trimsContent: Bool = false) {
        self.name = name
        self.format = format
        self.defaultSystemMessage = defaultSystemMessage
        self.bosToken = bosToken
        self.trimsContent = trimsContent
    }

    /// Plain ChatML with no default system message.
    public static let chatML = ChatTemplate(name: "chatml", format: .chatML)
    /// Qwen2-Instruct: ChatML with the default system message "You are a helpful assistant.".
    public static let qwen2 = ChatTemplate(name: "qwen2", format: .chatML,
                                           defaultSystemMessage: "You are a helpful assistant.")
    /// Qwen2.5-Instruct: ChatML with Qwen2.5's default system message.
    public static let qwen2_5 = ChatTemplate(
        name: "qwen2.5", format: .chatML,
        defaultSystemMessage: "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")
    /// Meta-Llama-3-Instruct.
    public static let llama3 = ChatTemplate(name: "llama3", format: .llama3, bosToken: "<|begin_of_text|>",
                                            trimsContent: true)

    /// The templates `init(named:)` knows.
    public static let builtIn: [ChatTemplate] = [.chatML, .qwen2, .qwen2_5, .llama3]

    /// The built-in template with this name (case-insensitive; "qwen", "qwen2_5", "llama-3" are accepted too).
    ///
    /// - Throws: `TokenizerError.unknownChatTemplate` listing the known names.
    public init(named name: String) throws {
        let key = name.lowercased().replacingOccurrences(of: "_", with: ".").replacingOccurrences(of: "-", with: "")
        let aliases = ["qwen": "qwen2.5", "qwen2.5": "qwen2.5", "chatml": "chatml", "qwen2": "qwen2",
                       "llama3": "llama3"]
        guard let canonical = aliases[key], let found = ChatTemplate.builtIn.first(where: { $0.name == canonical }) else {
            throw TokenizerError.unknownChatTemplate(name: name, known: ChatTemplate.builtIn.map(\.name))
        }
        self = found
    }

    /// The conversation as segments (markup, content, end-of-turn) whose texts concatenate to `render`.
    public func segments(messages: [ChatMessage], addGenerationPrompt: Bool) -> [ChatSegment] {
        var out: [ChatSegment] = []
        func markup(_ s: String) {
            guard !s.isEmpty else { return }
            if let last = out.last, last.kind == .markup {
                out[out.count - 1].text += s
            } else {
                out.append(ChatSegment(text: s, kind: .markup))
            }
        }
        switch format {
        case .chatML:
            if let system = defaultSystemMessage, messages.first?.role != "system" {
                markup("<|im_start|>system\n" + system + "<|im_end|>\n")
            }
            for (i, m) in messages.enumerated() {
                markup("<|im_start|>" + m.role + "\n")
                if !m.content.isEmpty { out.append(ChatSegment(text: m.content, kind: .content(role: m.role), messageIndex: i)) }
                out.append(ChatSegment(text: "<|im_end|>", kind: .endOfTurn(role: m.role), messageIndex: i))
                markup("\n")
            }
            if addGenerationPrompt { markup("<|im_start|>assistant\n") }
        case .llama3:
            for (i, m) in messages.enumerated() {
                markup((i == 0 ? bosToken : "") + "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n")
                let content = trimsContent ? ChatTemplate.pythonStrip(m.content) : m.content
                if !content.isEmpty { out.append(ChatSegment(text: content, kind: .content(role: m.role), messageIndex: i)) }
                out.append(ChatSegment(text: "<|eot_id|>", kind: .endOfTurn(role: m.role), messageIndex: i))
            }
            if addGenerationPrompt { markup("<|start_header_id|>assistant<|end_header_id|>\n\n") }
        }
        return out
    }

    /// The prompt text transformers' `apply_chat_template(messages, tokenize=False, add_generation_prompt:)` gives.
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool) -> String {
        segments(messages: messages, addGenerationPrompt: addGenerationPrompt).map(\.text).joined()
    }

    /// Python's `str.strip()` (what Jinja's `trim` filter calls), on Unicode scalars.
    static func pythonStrip(_ s: String) -> String {
        var scalars = Substring(s).unicodeScalars
        while let f = scalars.first, f.isPythonWhitespace { scalars.removeFirst() }
        while let l = scalars.last, l.isPythonWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
