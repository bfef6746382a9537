// `normalizer` of tokenizer.json: the types SwiftTune runs, and a catch-all for the rest.

/// A `tokenizer.json` normalizer. Types SwiftTune does not run decode as `.unsupported(type:)`.
///
/// Llama-2 style files use `.sequence([.prepend("▁"), .replace(pattern: .string(" "), content: "▁")])`;
/// Qwen2 uses `.nfc`.
public indirect enum NormalizerConfiguration: Codable, Sendable, Equatable {
    /// Unicode canonical composition (`"NFC"`).
    case nfc
    /// Unicode canonical decomposition (`"NFD"`).
    case nfd
    /// Unicode compatibility composition (`"NFKC"`).
    case nfkc
    /// Unicode compatibility decomposition (`"NFKD"`).
    case nfkd
    /// Per-scalar lowercase mapping (`"Lowercase"`).
    case lowercase
    /// Prepends `prepend` to every non-empty piece (`"Prepend"`).
    case prepend(String)
    /// Replaces every match of `pattern` with `content` (`"Replace"`).
    case replace(pattern: PatternConfiguration, content: String)
    /// Strips whitespace on the left and/or right (`"Strip"`).
    case strip(left: Bool, right: Bool)
    /// Applies each normalizer in turn (`"Sequence"`).
    case sequence([NormalizerConfiguration])
    /// Any other `type`; `Tokenizer` rejects it with `TokenizerError.unsupportedComponent`.
    case unsupported(type: String)

    enum Keys: String, CodingKey {
        case type, prepend, pattern, content, normalizers
        case stripLeft = "strip_left"
        case stripRight = "strip_right"
    }

    /// Decodes the JSON form written by `tokenizers` / transformers.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "NFC": self = .nfc
        case "NFD": self = .nfd
        case "NFKC": self = .nfkc
        case "NFKD": self = .nfkd
        case "Lowercase": self = .lowercase
        case "Prepend": self = .prepend(try c.decode(String.self, forKey: .prepend))
        case "Replace":
            self = .replace(pattern: try c.decode(PatternConfiguration.self, forKey: .pattern),
                            content: try c.decode(String.self, forKey: .content))
        case "Strip":
            self = .strip(left: try c.decodeIfPresent(Bool.self, forKey: .stripLeft) ?? true,
                          right: try c.decodeIfPresent(Bool.self, forKey: .stripRight) ?? true)
        case "Sequence": self = .sequence(try c.decode([NormalizerConfiguration].self, forKey: .normalizers))
        default: self = .unsupported(type: type)
        }
    }

    /// Encodes the JSON form `init(from:)` reads.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case .nfc: try c.encode("NFC", forKey: .type)
        case .nfd: try c.encode("NFD", forKey: .type)
        case .nfkc: try c.encode("NFKC", forKey: .type)
        case .nfkd: try c.encode("NFKD", forKey: .type)
        case .lowercase: try c.encode("Lowercase", forKey: .type)
        case let .prepend(s):
            try c.encode("Prepend", forKey: .type)
            try c.encode(s, forKey: .prepend)
        case let .replace(pattern, content):
            try c.encode("Replace", forKey: .type)
            try c.encode(pattern, forKey: .pattern)
            try c.encode(content, forKey: .content)
        case let .strip(left, right):
            try c.encode("Strip", forKey: .type)
            try c.encode(left, forKey: .stripLeft)
            try c.encode(right, forKey: .stripRight)
        case let .sequence(list):
            try c.encode("Sequence", forKey: .type)
            try c.encode(list, forKey: .normalizers)
        case let .unsupported(type): try c.encode(type, forKey: .type)
        }
    }
}
