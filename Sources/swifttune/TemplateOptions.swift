import ArgumentParser
import Foundation
import SwiftTuneCore

/// `--template`, `--template-kwargs` and `--system`: how conversations become prompt text (shared by every command
/// that reads `{"messages"}` rows).
struct TemplateOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Chat template: a built-in name (\(ChatTemplate.builtIn.map(\.name).joined(separator: ", "))) or a .jinja file. Default: the model folder's own (chat_template.jinja, else tokenizer_config.json).",
                               valueName: "name|file"))
    var template: String?
    @Option(help: ArgumentHelp("Extra template variables as a JSON object, e.g. '{\"enable_thinking\": false}' (transformers' apply_chat_template kwargs).",
                               valueName: "json"))
    var templateKwargs: String?
    @Option(help: "Default system message for conversations that have none (ms-swift's --system).")
    var system: String?

    func validate() throws {
        if let templateKwargs { _ = try Self.keywordArguments(templateKwargs) }
    }

    static func keywordArguments(_ text: String) throws -> [String: JinjaValue] {
        let value: JinjaValue
        do { value = try JinjaValue(jsonData: Data(text.utf8)) } catch {
            throw ValidationError("--template-kwargs is not JSON: \(error)")
        }
        guard case let .object(object) = value else { throw ValidationError("--template-kwargs must be a JSON object") }
        var out: [String: JinjaValue] = [:]
        for key in object.keys { out[key] = object[key] }
        return out
    }

    /// The chosen template (compiled now, so a broken one stops the command before any work) and its variables.
    func resolve(for tokenizer: Tokenizer) throws -> (template: ChatTemplate?, context: ChatContext) {
        var context = tokenizer.chatContext
        if let templateKwargs {
            for (key, value) in try Self.keywordArguments(templateKwargs) { context.keywordArguments[key] = value }
        }
        let chosen = try template.map { try ChatTemplate(named: $0) }
        return (chosen, context)
    }

    /// A sample encoder for training or scoring with these settings.
    func encoder(tokenizer: Tokenizer, scope: LossScope, maxLength: Int,
                 truncation: TruncationStrategy = .delete) throws -> SampleEncoder {
        let (template, context) = try resolve(for: tokenizer)
        return SampleEncoder(tokenizer: tokenizer, template: template, context: context, defaultSystem: system,
                             scope: scope, maxLength: maxLength, truncation: truncation)
    }
}
