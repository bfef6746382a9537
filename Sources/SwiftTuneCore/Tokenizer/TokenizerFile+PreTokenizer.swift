// `pre_tokenizer` of tokenizer.json: Split, ByteLevel, Metaspace and Sequence, and a catch-all for the rest.

/// How a `Split` pre-tokenizer treats the matched delimiters (`tokenizers`' `SplitDelimiterBehavior`).
public enum SplitBehavior: String, Codable, Sendable, Equatable {
    /// Matches are dropped.
    case removed = "Removed"
    /// Matches become pieces of their own (Qwen2 and Llama-3 use this).
    case isolated = "Isolated"
    /// A match is appended to the piece before it.
    case mergedWithPrevious = "MergedWithPrevious"
    /// A match is prepended to the piece after it.
    case mergedWithNext = "MergedWithNext"
    /// Runs of matches (and of non-matches) become single pieces.
    case contiguous = "Contiguous"
}

/// When Metaspace adds the replacement character in front of a piece.
public enum PrependScheme: String, Codable, Sendable, Equatable {
    /// Always, unless the piece already starts with it.
    case always
    /// Only for the piece at the very start of the input (not after an added token).
    case first
    /// Never.
    case never
}

/// A `tokenizer.json` pre-tokenizer. Types SwiftTune does not run decode as `.unsupported(type:)`.
///
/// Qwen2 and Llama-3: `.sequence([.split(pattern: .regex(…), behavior: .isolated, invert: false),
/// .byteLevel(addPrefixSpace: false, useRegex: false, trimOffsets: false)])`.
public indirect enum PreTokenizerConfiguration: Codable, Sendable, Equatable {
    /// Splits on `pattern` (`"Split"`); `invert` splits on what does *not* match.
    case split(pattern: PatternConfiguration, behavior: SplitBehavior, invert: Bool)
    /// Maps bytes to the GPT-2 printable alphabet (`"ByteLevel"`); `useRegex` first splits with GPT-2's regex.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool, trimOffsets: Bool)
    /// Replaces spaces with `replacement` and optionally splits before each (`"Metaspace"`).
    case metaspace(replacement: String, prependScheme: PrependScheme, split: Bool)
    /// Applies each pre-tokenizer in turn (`"Sequence"`).
    case sequence([PreTokenizerConfiguration])
    /// Any other `type`; `Tokenizer` rejects it with `TokenizerError.unsupportedComponent`.
    case unsupported(type: String)

    enum Keys: String, CodingKey {
        case type, pattern, behavior, invert, replacement, split, pretokenizers
        case addPrefixSpace = "add_prefix_space"
        case useRegex = "use_regex"
        case trimOffsets = "trim_offsets"
        case prependScheme = "prepend_scheme"
    }

    /// Decodes the JSON form written by `tokenizers` / transformers.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "Split":
            self = .split(pattern: try c.decode(PatternConfiguration.self, forKey: .pattern),
                          behavior: try c.decode(SplitBehavior.self, forKey: .behavior),
                          invert: try c.decodeIfPresent(Bool.self, forKey: .invert) ?? false)
        case "ByteLevel":
            self = .byteLevel(addPrefixSpace: try c.decodeIfPresent(Bool.self, forKey: .addPrefixSpace) ?? true,
                              useRegex: try c.decodeIfPresent(Bool.self, forKey: .useRegex) ?? true,
                              trimOffsets: try c.decodeIfPresent(Bool.self, forKey: .trimOffsets) ?? true)
        case "Metaspace":
            self = .metaspace(replacement: try c.decodeIfPresent(String.self, forKey: .replacement) ?? "▁",
                              prependScheme: try decodePrependScheme(c),
                              split: try c.decodeIfPresent(Bool.self, forKey: .split) ?? true)
        case "Sequence":
            self = .sequence(try c.decode([PreTokenizerConfiguration].self, forKey: .pretokenizers))
        default:
            self = .unsupported(type: type)
        }
    }

    /// Encodes the JSON form `init(from:)` reads.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case let .split(pattern, behavior, invert):
            try c.encode("Split", forKey: .type)
            try c.encode(pattern, forKey: .pattern)
            try c.encode(behavior, forKey: .behavior)
            try c.encode(invert, forKey: .invert)
        case let .byteLevel(addPrefixSpace, useRegex, trimOffsets):
            try c.encode("ByteLevel", forKey: .type)
            try c.encode(addPrefixSpace, forKey: .addPrefixSpace)
            try c.encode(trimOffsets, forKey: .trimOffsets)
            try c.encode(useRegex, forKey: .useRegex)
        case let .metaspace(replacement, prependScheme, split):
            try c.encode("Metaspace", forKey: .type)
            try c.encode(replacement, forKey: .replacement)
            try c.encode(prependScheme, forKey: .prependScheme)
            try c.encode(split, forKey: .split)
        case let .sequence(list):
            try c.encode("Sequence", forKey: .type)
            try c.encode(list, forKey: .pretokenizers)
        case let .unsupported(type):
            try c.encode(type, forKey: .type)
        }
    }
}

/// Reads `prepend_scheme`, or the older `add_prefix_space` flag (true → always, false → never).
func decodePrependScheme<K: CodingKey>(_ c: KeyedDecodingContainer<K>) throws -> PrependScheme {
    if let key = K(stringValue: "prepend_scheme"), let scheme = try c.decodeIfPresent(PrependScheme.self, forKey: key) {
        return scheme
    }
    if let key = K(stringValue: "add_prefix_space"), let flag = try c.decodeIfPresent(Bool.self, forKey: key) {
        return flag ? .always : .never
    }
    return .always
}
