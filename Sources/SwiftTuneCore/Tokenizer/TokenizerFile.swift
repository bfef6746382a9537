// The typed form of a Hugging Face `tokenizer.json` (as written by the `tokenizers` library, format "1.0").
// One file per component kind: TokenizerFile+Normalizer, +PreTokenizer, +Model, +PostProcessor, +Decoder.
// These structs only describe the file; Tokenizer turns them into the runtime pipeline and rejects what it cannot run.

import Foundation

/// The contents of a `tokenizer.json`, decoded into typed components.
///
/// Unknown component types decode into an `.unsupported(type:)` case rather than failing, so that `Tokenizer` can
/// report them as `TokenizerError.unsupportedComponent` naming the file and the component.
///
/// The model's `vocab` is deliberately *not* read by `Codable`: Swift's `String` compares keys by canonical
/// equivalence, so a dictionary decoder merges distinct tokens such as "Å" (U+00C5) and "Å" (U+212B).
/// `TokenizerFile.load(from:)` reads the vocabulary byte-exactly into `vocabulary` instead.
///
/// ```swift
/// let file = try TokenizerFile.load(from: directory.appendingPathComponent("tokenizer.json"))
/// print(file.model.type, file.vocabulary.count)
/// ```
public struct TokenizerFile: Codable, Sendable {
    /// The `version` field ("1.0" for current files); informational.
    public var version: String?
    /// `added_tokens`: tokens matched in the raw text before normalization and never split.
    public var addedTokens: [AddedTokenConfiguration]
    /// `normalizer`, or `nil` when the file has `null`.
    public var normalizer: NormalizerConfiguration?
    /// `pre_tokenizer`, or `nil` when the file has `null`.
    public var preTokenizer: PreTokenizerConfiguration?
    /// `post_processor`, or `nil` when the file has `null`.
    public var postProcessor: PostProcessorConfiguration?
    /// `decoder`, or `nil` when the file has `null` (decoding then joins tokens with spaces, as `tokenizers` does).
    public var decoder: DecoderConfiguration?
    /// `model`: the BPE settings and merges (the vocabulary is in `vocabulary`).
    public var model: TokenizerModelConfiguration
    /// The model's `vocab` in file order, read byte-exactly by `load(from:)`; empty after plain `Codable` decoding.
    public var vocabulary: [VocabularyEntry] = []

    enum CodingKeys: String, CodingKey {
        case version, normalizer, model, decoder
        case addedTokens = "added_tokens"
        case preTokenizer = "pre_tokenizer"
        case postProcessor = "post_processor"
    }

    /// Creates a file description from its parts (mostly for tests and for building tokenizers in code).
    public init(addedTokens: [AddedTokenConfiguration] = [], normalizer: NormalizerConfiguration? = nil,
                preTokenizer: PreTokenizerConfiguration? = nil, postProcessor: PostProcessorConfiguration? = nil,
                decoder: DecoderConfiguration? = nil, model: TokenizerModelConfiguration, vocabulary: [VocabularyEntry]) {
        self.version = "1.0"
        self.addedTokens = addedTokens
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.model = model
        self.vocabulary = vocabulary
    }

    /// Decodes the JSON form written by `tokenizers` / transformers.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decodeIfPresent(String.self, forKey: .version)
        addedTokens = try c.decodeIfPresent([AddedTokenConfiguration].self, forKey: .addedTokens) ?? []
        normalizer = try c.decodeIfPresent(NormalizerConfiguration.self, forKey: .normalizer)
        preTokenizer = try c.decodeIfPresent(PreTokenizerConfiguration.self, forKey: .preTokenizer)
        postProcessor = try c.decodeIfPresent(PostProcessorConfiguration.self, forKey: .postProcessor)
        self.decoder = try c.decodeIfPresent(DecoderConfiguration.self, forKey: .decoder)
        model = try c.decode(TokenizerModelConfiguration.self, forKey: .model)
    }

    /// Reads and decodes `url`, then reads `model.vocab` byte-exactly.
    ///
    /// - Throws: `TokenizerError.cannotRead` or `.invalidJSON`, naming `url.path`.
    public static func load(from url: URL) throws -> TokenizerFile {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.cannotRead(path: url.path, reason: FileErrorReason.describe(error, path: url.path))
        }
        return try decode(data, path: url.path)
    }

    /// Decodes the bytes of a `tokenizer.json`; `path` is only used in error messages.
    public static func decode(_ data: Data, path: String) throws -> TokenizerFile {
        var file: TokenizerFile
        do { file = try JSONDecoder().decode(TokenizerFile.self, from: data) } catch let error as DecodingError {
            throw TokenizerError.invalidJSON(path: path, reason: describeDecodingError(error))
        } catch {
            throw TokenizerError.invalidJSON(path: path, reason: "\(error)")
        }
        do { file.vocabulary = try VocabularyScanner.modelVocabulary(in: data) } catch let error as VocabularyScanner.Failure {
            throw TokenizerError.invalidJSON(path: path, reason: "model.vocab: \(error.reason) at byte \(error.offset)")
        }
        return file
    }
}

/// One `model.vocab` entry. `token` keeps the file's exact Unicode scalars (compare with `token.utf8`, not `==`).
public struct VocabularyEntry: Codable, Sendable, Equatable {
    /// The token as written in the file.
    public var token: String
    /// Its id.
    public var id: Int

    /// Creates an entry.
    public init(token: String, id: Int) {
        self.token = token
        self.id = id
    }
}

/// One entry of `added_tokens`. Flags follow `tokenizers`' `AddedToken`.
public struct AddedTokenConfiguration: Codable, Sendable, Equatable {
    /// The token id.
    public var id: Int
    /// The exact text of the token.
    public var content: String
    /// Match only when not preceded or followed by a word character (alphanumeric or `_`).
    public var singleWord: Bool
    /// Also swallow the whitespace to the left of a match.
    public var lstrip: Bool
    /// Also swallow the whitespace to the right of a match.
    public var rstrip: Bool
    /// Match against the normalized text (with the content normalized the same way) rather than the raw text.
    public var normalized: Bool
    /// A special token: dropped by `decode(_:skipSpecialTokens: true)`.
    public var special: Bool

    enum CodingKeys: String, CodingKey {
        case id, content, lstrip, rstrip, normalized, special
        case singleWord = "single_word"
    }

    /// Creates an added token; the defaults are `tokenizers`' defaults for a special token.
    public init(id: Int, content: String, singleWord: Bool = false, lstrip: Bool = false, rstrip: Bool = false,
                normalized: Bool = false, special: Bool = true) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
        self.special = special
    }

    /// Decodes the JSON form written by `tokenizers` / transformers.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int.self, forKey: .id)
        content = try c.decode(String.self, forKey: .content)
        singleWord = try c.decodeIfPresent(Bool.self, forKey: .singleWord) ?? false
        lstrip = try c.decodeIfPresent(Bool.self, forKey: .lstrip) ?? false
        rstrip = try c.decodeIfPresent(Bool.self, forKey: .rstrip) ?? false
        special = try c.decodeIfPresent(Bool.self, forKey: .special) ?? false
        normalized = try c.decodeIfPresent(Bool.self, forKey: .normalized) ?? !special
    }
}

/// A `pattern` field: `{"String": "…"}` (literal) or `{"Regex": "…"}` (Oniguruma syntax in `tokenizers`).
public enum PatternConfiguration: Codable, Sendable, Equatable {
    /// A literal string, matched as is.
    case string(String)
    /// A regular expression.
    case regex(String)

    enum CodingKeys: String, CodingKey {
        case string = "String"
        case regex = "Regex"
    }

    /// Decodes the JSON form written by `tokenizers` / transformers.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let s = try c.decodeIfPresent(String.self, forKey: .string) {
            self = .string(s)
        } else if let r = try c.decodeIfPresent(String.self, forKey: .regex) {
            self = .regex(r)
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath,
                                                    debugDescription: "pattern needs a \"String\" or \"Regex\" key"))
        }
    }

    /// Encodes the JSON form `init(from:)` reads.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .string(s): try c.encode(s, forKey: .string)
        case let .regex(r): try c.encode(r, forKey: .regex)
        }
    }
}

/// A readable one-line account of where `JSONDecoder` stopped.
func describeDecodingError(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return p.isEmpty ? "top level" : String(p.drop(while: { $0 == "." }))
    }
    switch error {
    case let .keyNotFound(key, context):
        return "\(path(context)): missing key '\(key.stringValue)'"
    case let .typeMismatch(type, context):
        return "\(path(context)): expected \(type): \(context.debugDescription)"
    case let .valueNotFound(type, context):
        return "\(path(context)): expected \(type), found null"
    case let .dataCorrupted(context):
        return "\(path(context)): \(context.debugDescription)"
    @unknown default:
        return "\(error)"
    }
}
