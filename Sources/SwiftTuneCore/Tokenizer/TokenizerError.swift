// Errors for loading Hugging Face tokenizer files (tokenizer.json, tokenizer_config.json) and for choosing a chat
// template. Every case that comes from a file names it, and the component (`"normalizer"`, `"pre_tokenizer"`,
// `"model"`, ...) where one is involved, so a user can see which part of which file SwiftTune cannot use.

/// A tokenizer file that could not be read or uses something SwiftTune does not implement.
///
/// Loading never traps on bad input: unknown component types, malformed JSON, merges that name tokens missing from
/// the vocabulary and regular expressions that do not compile all end up here.
///
/// ```swift
/// do { _ = try Tokenizer(directory: url) }
/// catch let error as TokenizerError { print(error) }  // "…/tokenizer.json: normalizer: unsupported type 'BertNormalizer'"
/// ```
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be read (`reason` is the system's message).
    case cannotRead(path: String, reason: String)
    /// The file is not JSON of the expected shape (`reason` says where the decoder stopped).
    case invalidJSON(path: String, reason: String)
    /// A component (`component`, e.g. `"pre_tokenizer"`) has a `type` SwiftTune does not implement.
    case unsupportedComponent(path: String, component: String, type: String)
    /// A component of a supported type has a setting that cannot be used (bad regex, bad merge line, …).
    case invalidComponent(path: String, component: String, reason: String)
    /// A token that a component refers to (`context`, e.g. `"merges[12]"`) is not in the vocabulary.
    case unknownToken(path: String, token: String, context: String)
    /// `ChatTemplate(named:)` or `Tokenizer.chatTemplate(named:)` got a name it does not know.
    case unknownChatTemplate(name: String, known: [String])
    /// The folder has no chat template (no `chat_template` in tokenizer_config.json, no chat_template.jinja) and
    /// its vocabulary fits no built-in one.
    case missingChatTemplate(path: String)

    /// The file the error is about, when there is one.
    public var path: String? {
        switch self {
        case let .cannotRead(path, _), let .invalidJSON(path, _), let .unsupportedComponent(path, _, _),
             let .invalidComponent(path, _, _), let .unknownToken(path, _, _), let .missingChatTemplate(path):
            return path
        case .unknownChatTemplate:
            return nil
        }
    }

    /// A one-line message, starting with the file path when there is one.
    public var description: String {
        switch self {
        case let .cannotRead(path, reason):
            return "\(path): cannot read: \(reason)"
        case let .invalidJSON(path, reason):
            return "\(path): invalid JSON: \(reason)"
        case let .unsupportedComponent(path, component, type):
            return "\(path): \(component): unsupported type '\(type)'"
        case let .invalidComponent(path, component, reason):
            return "\(path): \(component): \(reason)"
        case let .unknownToken(path, token, context):
            return "\(path): \(context): token '\(token)' is not in the vocabulary"
        case let .unknownChatTemplate(name, known):
            return "unknown chat template '\(name)' (known: \(known.joined(separator: ", ")))"
        case let .missingChatTemplate(path):
            return "\(path): the folder has no chat template (no chat_template in tokenizer_config.json, no chat_template.jinja); "
                + "pass --template with one of \(ChatTemplate.builtIn.map(\.name).joined(separator: ", ")) or a .jinja file"
        }
    }
}
