// `tokenizer_config.json`: the transformers side of a tokenizer (special token names, chat template, flags).

import Foundation

/// The fields of a `tokenizer_config.json` that SwiftTune uses. Unknown keys are ignored.
///
/// Special tokens may be written as a string (`"eos_token": "<|im_end|>"`) or as an object
/// (`"bos_token": {"__type": "AddedToken", "content": "<s>", …}`); both decode to the token text.
public struct TokenizerConfig: Codable, Sendable, Equatable {
    /// The beginning-of-sequence token text (`bos_token`), if any.
    public var bosToken: String?
    /// The end-of-sequence token text (`eos_token`), if any.
    public var eosToken: String?
    /// The padding token text (`pad_token`), if any.
    public var padToken: String?
    /// The unknown token text (`unk_token`), if any.
    public var unkToken: String?
    /// `add_bos_token` (Llama tokenizers); informational: SwiftTune follows tokenizer.json's post-processor.
    public var addBosToken: Bool?
    /// `add_eos_token`; informational, as `addBosToken`.
    public var addEosToken: Bool?
    /// The default Jinja chat template (`chat_template` as a string, or the entry named "default" of a list).
    public var chatTemplate: String?
    /// Named templates when `chat_template` is a list of `{"name", "template"}` (e.g. "tool_use").
    public var namedChatTemplates: [String: String]
    /// `model_max_length` (often a huge sentinel such as 1e30 when unset).
    public var modelMaxLength: Double?
    /// `tokenizer_class`, e.g. "Qwen2Tokenizer" or "PreTrainedTokenizerFast".
    public var tokenizerClass: String?

    enum CodingKeys: String, CodingKey {
        case bosToken = "bos_token"
        case eosToken = "eos_token"
        case padToken = "pad_token"
        case unkToken = "unk_token"
        case addBosToken = "add_bos_token"
        case addEosToken = "add_eos_token"
        case chatTemplate = "chat_template"
        case modelMaxLength = "model_max_length"
        case tokenizerClass = "tokenizer_class"
    }

    /// Creates a configuration.
    public init(bosToken: String? = nil, eosToken: String? = nil, padToken: String? = nil, unkToken: String? = nil,
                chatTemplate: String? = nil) {
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.padToken = padToken
        self.unkToken = unkToken
        self.chatTemplate = chatTemplate
        self.namedChatTemplates = [:]
    }

    /// Decodes the JSON form written by `tokenizers` / transformers.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bosToken = try c.decodeIfPresent(SpecialTokenValue.self, forKey: .bosToken)?.content
        eosToken = try c.decodeIfPresent(SpecialTokenValue.self, forKey: .eosToken)?.content
        padToken = try c.decodeIfPresent(SpecialTokenValue.self, forKey: .padToken)?.content
        unkToken = try c.decodeIfPresent(SpecialTokenValue.self, forKey: .unkToken)?.content
        addBosToken = try c.decodeIfPresent(Bool.self, forKey: .addBosToken)
        addEosToken = try c.decodeIfPresent(Bool.self, forKey: .addEosToken)
        modelMaxLength = try c.decodeIfPresent(Double.self, forKey: .modelMaxLength)
        tokenizerClass = try c.decodeIfPresent(String.self, forKey: .tokenizerClass)
        namedChatTemplates = [:]
        if let single = try? c.decodeIfPresent(String.self, forKey: .chatTemplate) {
            chatTemplate = single
        } else if let list = try c.decodeIfPresent([NamedTemplate].self, forKey: .chatTemplate) {
            for entry in list { namedChatTemplates[entry.name] = entry.template }
            chatTemplate = namedChatTemplates["default"]
        } else {
            chatTemplate = nil
        }
    }

    /// Encodes the JSON form `init(from:)` reads.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(bosToken, forKey: .bosToken)
        try c.encodeIfPresent(eosToken, forKey: .eosToken)
        try c.encodeIfPresent(padToken, forKey: .padToken)
        try c.encodeIfPresent(unkToken, forKey: .unkToken)
        try c.encodeIfPresent(addBosToken, forKey: .addBosToken)
        try c.encodeIfPresent(addEosToken, forKey: .addEosToken)
        try c.encodeIfPresent(modelMaxLength, forKey: .modelMaxLength)
        try c.encodeIfPresent(tokenizerClass, forKey: .tokenizerClass)
        if namedChatTemplates.isEmpty {
            try c.encodeIfPresent(chatTemplate, forKey: .chatTemplate)
        } else {
            let list = namedChatTemplates.keys.sorted().map { NamedTemplate(name: $0, template: namedChatTemplates[$0]!) }
            try c.encode(list, forKey: .chatTemplate)
        }
    }

    /// Reads and decodes a `tokenizer_config.json`.
    ///
    /// - Throws: `TokenizerError.cannotRead` or `.invalidJSON`, naming `url.path`.
    public static func load(from url: URL) throws -> TokenizerConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.cannotRead(path: url.path, reason: FileErrorReason.describe(error, path: url.path))
        }
        do { return try JSONDecoder().decode(TokenizerConfig.self, from: data) } catch let error as DecodingError {
            throw TokenizerError.invalidJSON(path: url.path, reason: describeDecodingError(error))
        } catch {
            throw TokenizerError.invalidJSON(path: url.path, reason: "\(error)")
        }
    }

    struct NamedTemplate: Codable {
        var name: String
        var template: String
    }
}

/// A special token written either as a plain string or as an `AddedToken` object with a `content` key.
struct SpecialTokenValue: Decodable {
    var content: String

    enum Keys: String, CodingKey { case content }

    init(from decoder: Decoder) throws {
        if let s = try? decoder.singleValueContainer().decode(String.self) {
            content = s
        } else {
            content = try decoder.container(keyedBy: Keys.self).decode(String.self, forKey: .content)
        }
    }
}
