// `post_processor` of tokenizer.json: where BOS/EOS ids are added when `addSpecialTokens` is true.

/// One piece of a `TemplateProcessing` template: a special token, or the encoded sequence (`$A`).
public enum TemplatePiece: Codable, Sendable, Equatable {
    /// `{"SpecialToken": {"id": "<s>", "type_id": 0}}`: the ids listed for `id` in `special_tokens`.
    case specialToken(id: String, typeID: Int)
    /// `{"Sequence": {"id": "A", "type_id": 0}}`: the encoded input.
    case sequence(id: String, typeID: Int)

    enum Keys: String, CodingKey {
        case specialToken = "SpecialToken"
        case sequence = "Sequence"
    }

    struct Body: Codable, Equatable {
        var id: String
        var typeID: Int
        enum CodingKeys: String, CodingKey {
            case id
            case typeID = "type_id"
        }
    }

    /// Decodes the JSON form written by `tokenizers` / transformers.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        if let body = try c.decodeIfPresent(Body.self, forKey: .specialToken) {
            self = .specialToken(id: body.id, typeID: body.typeID)
        } else if let body = try c.decodeIfPresent(Body.self, forKey: .sequence) {
            self = .sequence(id: body.id, typeID: body.typeID)
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath,
                                                    debugDescription: "template piece needs SpecialToken or Sequence"))
        }
    }

    /// Encodes the JSON form `init(from:)` reads.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case let .specialToken(id, typeID): try c.encode(Body(id: id, typeID: typeID), forKey: .specialToken)
        case let .sequence(id, typeID): try c.encode(Body(id: id, typeID: typeID), forKey: .sequence)
        }
    }
}

/// An entry of `TemplateProcessing.special_tokens`: the ids (and token strings) one template name stands for.
public struct TemplateSpecialToken: Codable, Sendable, Equatable {
    /// The name used in the template.
    public var id: String
    /// The ids inserted for it.
    public var ids: [Int]
    /// The token strings of `ids`.
    public var tokens: [String]

    /// Creates an entry.
    public init(id: String, ids: [Int], tokens: [String]) {
        self.id = id
        self.ids = ids
        self.tokens = tokens
    }
}

/// A `tokenizer.json` post-processor. Types SwiftTune does not run decode as `.unsupported(type:)`.
public indirect enum PostProcessorConfiguration: Codable, Sendable, Equatable {
    /// Adds special tokens around the sequence when encoding with special tokens (`"TemplateProcessing"`).
    /// Only the `single` template is used (SwiftTune encodes one sequence at a time).
    case templateProcessing(single: [TemplatePiece], specialTokens: [String: TemplateSpecialToken])
    /// Only adjusts offsets in `tokenizers`; ids are unchanged (`"ByteLevel"`).
    case byteLevel
    /// Applies each processor in turn (`"Sequence"`).
    case sequence([PostProcessorConfiguration])
    /// Any other `type`; `Tokenizer` rejects it with `TokenizerError.unsupportedComponent`.
    case unsupported(type: String)

    enum Keys: String, CodingKey {
        case type, single, processors
        case specialTokens = "special_tokens"
    }

    /// Decodes the JSON form written by `tokenizers` / transformers.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "TemplateProcessing":
            self = .templateProcessing(
                single: try c.decode([TemplatePiece].self, forKey: .single),
                specialTokens: try c.decodeIfPresent([String: TemplateSpecialToken].self, forKey: .specialTokens) ?? [:])
        case "ByteLevel": self = .byteLevel
        case "Sequence": self = .sequence(try c.decode([PostProcessorConfiguration].self, forKey: .processors))
        default: self = .unsupported(type: type)
        }
    }

    /// Encodes the JSON form `init(from:)` reads.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case let .templateProcessing(single, specialTokens):
            try c.encode("TemplateProcessing", forKey: .type)
            try c.encode(single, forKey: .single)
            try c.encode(specialTokens, forKey: .specialTokens)
        case .byteLevel: try c.encode("ByteLevel", forKey: .type)
        case let .sequence(list):
            try c.encode("Sequence", forKey: .type)
            try c.encode(list, forKey: .processors)
        case let .unsupported(type): try c.encode(type, forKey: .type)
        }
    }
}
