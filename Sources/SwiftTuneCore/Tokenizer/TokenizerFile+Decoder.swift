// `decoder` of tokenizer.json: ids → text. ByteLevel for GPT-2/Qwen2/Llama-3; Metaspace or
// Sequence[Replace, ByteFallback, Fuse, Strip] for Llama-2/Mistral.

/// A `tokenizer.json` decoder. Types SwiftTune does not run decode as `.unsupported(type:)`.
public indirect enum DecoderConfiguration: Codable, Sendable, Equatable {
    /// Maps the GPT-2 byte alphabet back to bytes and decodes UTF-8 lossily (`"ByteLevel"`).
    case byteLevel
    /// Turns `replacement` back into spaces, dropping it in the first token unless `prependScheme` is never.
    case metaspace(replacement: String, prependScheme: PrependScheme, split: Bool)
    /// Replaces `pattern` with `content` in every token (`"Replace"`).
    case replace(pattern: PatternConfiguration, content: String)
    /// Turns runs of `<0xNN>` tokens into the UTF-8 text they spell, or U+FFFD per byte if invalid (`"ByteFallback"`).
    case byteFallback
    /// Joins all tokens into one (`"Fuse"`).
    case fuse
    /// Removes up to `start` leading and `stop` trailing `content` characters from every token (`"Strip"`).
    case strip(content: String, start: Int, stop: Int)
    /// Applies each decoder in turn (`"Sequence"`).
    case sequence([DecoderConfiguration])
    /// Any other `type`; `Tokenizer` rejects it with `TokenizerError.unsupportedComponent`.
    case unsupported(type: String)

    enum Keys: String, CodingKey {
        case type, replacement, split, pattern, content, start, stop, decoders
        case prependScheme = "prepend_scheme"
        case addPrefixSpace = "add_prefix_space"
    }

    /// Decodes the JSON form written by `tokenizers` / transformers.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "ByteLevel": self = .byteLevel
        case "Metaspace":
            self = .metaspace(replacement: try c.decodeIfPresent(String.self, forKey: .replacement) ?? "▁",
                              prependScheme: try decodePrependScheme(c),
                              split: try c.decodeIfPresent(Bool.self, forKey: .split) ?? true)
        case "Replace":
            self = .replace(pattern: try c.decode(PatternConfiguration.self, forKey: .pattern),
                            content: try c.decode(String.self, forKey: .content))
        case "ByteFallback": self = .byteFallback
        case "Fuse": self = .fuse
        case "Strip":
            self = .strip(content: try c.decode(String.self, forKey: .content),
                          start: try c.decodeIfPresent(Int.self, forKey: .start) ?? 0,
                          stop: try c.decodeIfPresent(Int.self, forKey: .stop) ?? 0)
        case "Sequence": self = .sequence(try c.decode([DecoderConfiguration].self, forKey: .decoders))
        default: self = .unsupported(type: type)
        }
    }

    /// Encodes the JSON form `init(from:)` reads.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case .byteLevel: try c.encode("ByteLevel", forKey: .type)
        case let .metaspace(replacement, prependScheme, split):
            try c.encode("Metaspace", forKey: .type)
            try c.encode(replacement, forKey: .replacement)
            try c.encode(prependScheme, forKey: .prependScheme)
            try c.encode(split, forKey: .split)
        case let .replace(pattern, content):
            try c.encode("Replace", forKey: .type)
            try c.encode(pattern, forKey: .pattern)
            try c.encode(content, forKey: .content)
        case .byteFallback: try c.encode("ByteFallback", forKey: .type)
        case .fuse: try c.encode("Fuse", forKey: .type)
        case let .strip(content, start, stop):
            try c.encode("Strip", forKey: .type)
            try c.encode(content, forKey: .content)
            try c.encode(start, forKey: .start)
            try c.encode(stop, forKey: .stop)
        case let .sequence(list):
            try c.encode("Sequence", forKey: .type)
            try c.encode(list, forKey: .decoders)
        case let .unsupported(type): try c.encode(type, forKey: .type)
        }
    }
}
