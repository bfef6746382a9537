// `model` of tokenizer.json. SwiftTune runs BPE; other model types are reported by Tokenizer as unsupported.

/// A merge rule `left right` (rank = position in the list). Files store it as `"left right"` (older files,
/// e.g. Qwen2) or as `["left", "right"]` (`tokenizers` ≥ 0.20, needed when tokens contain spaces).
public struct MergeRule: Codable, Sendable, Equatable {
    /// The left token.
    public var left: String
    /// The right token.
    public var right: String

    /// Creates a rule.
    public init(left: String, right: String) {
        self.left = left
        self.right = right
    }

    /// Decodes the JSON form written by `tokenizers` / transformers.
    public init(from decoder: Decoder) throws {
        if var pair = try? decoder.unkeyedContainer() {
            left = try pair.decode(String.self)
            right = try pair.decode(String.self)
            if !pair.isAtEnd {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "merge pair has more than two tokens"))
            }
            return
        }
        let line = try decoder.singleValueContainer().decode(String.self)
        // `tokenizers` splits on ' ' and requires exactly two parts. Split scalars, not Characters: a right token
        // that starts with a combining mark would otherwise fuse with the space into one Character.
        let parts = line.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "merge '\(line)' is not two tokens separated by one space"))
        }
        left = String(String.UnicodeScalarView(parts[0]))
        right = String(String.UnicodeScalarView(parts[1]))
    }

    /// Encodes the JSON form `init(from:)` reads.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(left)
        try c.encode(right)
    }
}

/// The `model` object of a `tokenizer.json` (its `vocab` is in `TokenizerFile.vocabulary`).
public struct TokenizerModelConfiguration: Codable, Sendable, Equatable {
    /// `"BPE"` for the models SwiftTune runs (files written by older `tokenizers` may omit it; BPE is assumed
    /// when `merges` is present).
    public var type: String
    /// BPE dropout; SwiftTune encodes deterministically and ignores it.
    public var dropout: Double?
    /// The token for characters not in the vocabulary (Llama-2: `"<unk>"`; byte-level models: none).
    public var unkToken: String?
    /// Prefix added to every symbol that does not start a word (WordPiece-style BPE); empty or nil for LLMs.
    public var continuingSubwordPrefix: String?
    /// Suffix added to the last symbol of a word; empty or nil for LLMs.
    public var endOfWordSuffix: String?
    /// Merge consecutive unknown characters into one `unk` token.
    public var fuseUnk: Bool
    /// Encode characters missing from the vocabulary as `<0xNN>` byte tokens (SentencePiece's byte fallback).
    public var byteFallback: Bool
    /// Emit a word that is itself in the vocabulary as one token without running merges (Llama-3).
    public var ignoreMerges: Bool
    /// The merge rules, lowest rank (highest priority) first.
    public var merges: [MergeRule]

    enum CodingKeys: String, CodingKey {
        case type, dropout, merges
        case unkToken = "unk_token"
        case continuingSubwordPrefix = "continuing_subword_prefix"
        case endOfWordSuffix = "end_of_word_suffix"
        case fuseUnk = "fuse_unk"
        case byteFallback = "byte_fallback"
        case ignoreMerges = "ignore_merges"
    }

    /// Creates a BPE model description.
    public init(type: String = "BPE", unkToken: String? = nil, continuingSubwordPrefix: String? = nil,
                endOfWordSuffix: String? = nil, fuseUnk: Bool = false, byteFallback: Bool = false,
                ignoreMerges: Bool = false, merges: [MergeRule]) {
        self.type = type
        self.unkToken = unkToken
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.endOfWordSuffix = endOfWordSuffix
        self.fuseUnk = fuseUnk
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        self.merges = merges
    }

    /// Decodes the JSON form written by `tokenizers` / transformers.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let merges = try c.decodeIfPresent([MergeRule].self, forKey: .merges)
        guard let type = try c.decodeIfPresent(String.self, forKey: .type) ?? (merges != nil ? "BPE" : nil) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "the model has neither a 'type' nor 'merges', so it is not a BPE model SwiftTune can run"))
        }
        self.type = type
        dropout = try c.decodeIfPresent(Double.self, forKey: .dropout)
        unkToken = try c.decodeIfPresent(String.self, forKey: .unkToken)
        continuingSubwordPrefix = try c.decodeIfPresent(String.self, forKey: .continuingSubwordPrefix)
        endOfWordSuffix = try c.decodeIfPresent(String.self, forKey: .endOfWordSuffix)
        fuseUnk = try c.decodeIfPresent(Bool.self, forKey: .fuseUnk) ?? false
        byteFallback = try c.decodeIfPresent(Bool.self, forKey: .byteFallback) ?? false
        ignoreMerges = try c.decodeIfPresent(Bool.self, forKey: .ignoreMerges) ?? false
        self.merges = merges ?? []
    }
}
