// Chat templates: the Jinja program a model folder carries (tokenizer_config.json's `chat_template`, or
// chat_template.jinja), run by SwiftTune's Jinja interpreter the way transformers' `apply_chat_template` runs it.
// Built-in templates (ChatML, Qwen2, Qwen2.5, Llama-3) are Jinja sources too; see ChatTemplate+BuiltIn.swift.

import Foundation

/// A chat template: how a list of messages becomes the prompt text the model was trained on.
///
/// Rendering equals transformers' `apply_chat_template(messages, tokenize=False, add_generation_prompt:, **kwargs)`
/// byte for byte: the same Jinja environment (`trim_blocks`, `lstrip_blocks`, transformers' `tojson`,
/// `raise_exception`, `strftime_now`, loop controls, `{% generation %}`) and the same variables (`messages`,
/// `tools`, `documents`, `add_generation_prompt`, the tokenizer's special tokens, extra keyword arguments; see
/// ``ChatContext``). Tests/SwiftTuneCoreTests/Fixtures/templates holds transformers' output for the real templates of
/// Qwen2.5, Qwen3, Llama-3.1/3.2, SmolLM2, Mistral, Gemma, Phi-3.5 and DeepSeek-R1 distills.
///
/// The rendered text already contains BOS where the template puts it, so encode it with
/// `addSpecialTokens: false` (as transformers does when `apply_chat_template` tokenizes).
///
/// ```swift
/// let template = try ChatTemplate(source: "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}",
///                                 name: "inline")
/// let prompt = try template.render([.user("Hi")], addGenerationPrompt: false)   // "[user] Hi\n"
/// ```
public struct ChatTemplate: Sendable, Equatable {
    /// Where the template came from: a built-in name (`"chatml"`, `"qwen2.5"`, …) or the file it was read from
    /// (`…/chat_template.jinja`, `…/tokenizer_config.json`). Errors name it.
    public let name: String
    /// The Jinja source.
    public let source: String
    /// True for the templates SwiftTune ships (``builtIn``).
    public let isBuiltIn: Bool
    let program: JinjaTemplate

    /// Compiles a Jinja chat template.
    ///
    /// - Parameters:
    ///   - source: the template text.
    ///   - name: the file (or other origin) named in errors.
    /// - Throws: ``JinjaError`` (syntax) naming `name` and the line.
    public init(source: String, name: String) throws {
        self.name = name
        self.source = source
        self.isBuiltIn = false
        self.program = try JinjaTemplate(source: source, name: name)
    }

    /// A built-in template; its source is fixed and known to compile (the tests render every built-in).
    init(builtIn name: String, source: String) {
        self.name = name
        self.source = source
        self.isBuiltIn = true
        do { self.program = try JinjaTemplate(source: source, name: "built-in template '\(name)'") } catch {
            preconditionFailure("built-in chat template '\(name)' does not compile: \(error)")
        }
    }

    /// Reads a Jinja template file (`chat_template.jinja`, or any `.jinja` a user points `--template` at).
    ///
    /// - Throws: `TokenizerError.cannotRead` naming the file, or ``JinjaError`` for a syntax error.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.cannotRead(path: url.path, reason: FileErrorReason.describe(error, path: url.path))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError.cannotRead(path: url.path, reason: "not UTF-8 text")
        }
        try self.init(source: text, name: url.path)
    }

    /// A built-in template by name (case-insensitive; `"qwen"`, `"qwen2_5"`, `"llama-3"` are accepted too), or a
    /// Jinja file when `name` is the path of one (it contains `/` or ends in `.jinja`).
    ///
    /// - Throws: `TokenizerError.unknownChatTemplate` listing the known names; for a path, what
    ///   ``init(contentsOf:)`` throws.
    public init(named name: String) throws {
        if name.contains("/") || name.hasSuffix(".jinja") {
            try self.init(contentsOf: URL(fileURLWithPath: name))
            return
        }
        let key = name.lowercased().replacingOccurrences(of: "_", with: ".").replacingOccurrences(of: "-", with: "")
        let aliases = ["qwen": "qwen2.5", "qwen2.5": "qwen2.5", "chatml": "chatml", "qwen2": "qwen2",
                       "llama3": "llama3"]
        guard let canonical = aliases[key], let found = ChatTemplate.builtIn.first(where: { $0.name == canonical }) else {
            throw TokenizerError.unknownChatTemplate(name: name, known: ChatTemplate.builtIn.map(\.name))
        }
        self = found
    }

    public static func == (a: ChatTemplate, b: ChatTemplate) -> Bool {
        a.name == b.name && a.source == b.source
    }

    /// The prompt text transformers' `apply_chat_template(messages, tokenize=False, add_generation_prompt:)` gives.
    ///
    /// - Throws: ``JinjaError`` naming this template's file and line (for example a `raise_exception` of the
    ///   template: "Conversation roles must alternate user/assistant/user/assistant/...").
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = false,
                       context: ChatContext = ChatContext()) throws -> String {
        try program.render(context.variables(messages: messages, addGenerationPrompt: addGenerationPrompt))
    }

    /// Renders and reports which bytes each message's loop iteration wrote (see ``segments(_:addGenerationPrompt:context:)``).
    func renderTracked(_ messages: [ChatMessage], addGenerationPrompt: Bool, context: ChatContext) throws -> JinjaRendering {
        try program.renderTracked(context.variables(messages: messages, addGenerationPrompt: addGenerationPrompt))
    }
}
