// A Hugging Face fast tokenizer (tokenizer.json + tokenizer_config.json) for BPE models, run in Swift.
//
// Encoding follows `tokenizers`' `Tokenizer::encode` step by step:
//   1. added tokens with normalized = false are cut out of the raw text;
//   2. each remaining piece is normalized, then added tokens with normalized = true are cut out of it;
//   3. the pre-tokenizer splits each remaining piece into words (regex Split, ByteLevel, Metaspace);
//   4. the BPE model encodes each word;
//   5. the post-processor adds BOS/EOS ids when `addSpecialTokens` is true.
// Decoding maps ids to token strings (dropping unknown ids, and special tokens when asked) and runs the decoder.

import Foundation

/// A BPE tokenizer loaded from Hugging Face files: byte-level BPE (GPT-2, Qwen2, Llama-3) and
/// Metaspace / byte-fallback BPE (Llama-2, Mistral, TinyLlama).
///
/// `encode` and `decode` give the same ids and text as the `tokenizers` library's `Tokenizer.encode(text).ids`
/// and `Tokenizer.decode(ids)` (Tests/SwiftTuneCoreTests/Tokenizer checks this against fixtures built by
/// Tools/generate_tokenizer_fixtures.py). It is safe to share across threads; a word cache speeds up repeated
/// words.
///
/// ```swift
/// let tokenizer = try Tokenizer(directory: modelDirectory)     // tokenizer.json (+ tokenizer_config.json)
/// let ids = tokenizer.encode("Hello world")                     // BOS added if the post-processor says so
/// let text = tokenizer.decode(ids, skipSpecialTokens: true)     // "Hello world"
/// ```
public final class Tokenizer: @unchecked Sendable {  // immutable after init; BPEModel locks its cache
    /// The decoded `tokenizer.json` (its vocabulary included).
    public let file: TokenizerFile
    /// The decoded `tokenizer_config.json`, or an empty configuration when there was none.
    public let config: TokenizerConfig
    /// Where `tokenizer.json` was read from (used in error messages).
    public let path: String

    let model: BPEModel
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let postProcessor: PostProcessor?
    let decoder: TokenDecoder?
    let rawAddedTokens: AddedTokenMatcher
    let normalizedAddedTokens: AddedTokenMatcher
    /// id → token string (added tokens take precedence over the model's vocabulary).
    let tokensByID: [String?]
    let addedIDs: [ByteKey: Int]
    let specialIDs: Set<Int>

    /// The number of distinct tokens: the model's vocabulary plus added tokens not in it (`tokenizers`'
    /// `get_vocab_size(with_added_tokens: true)`). The model's embedding table may be larger (padded).
    public let vocabularySize: Int
    /// The id of `bos_token` from tokenizer_config.json, if it has one that is in the vocabulary.
    public let bosTokenID: Int?
    /// The id of `eos_token` from tokenizer_config.json, if it has one that is in the vocabulary.
    public let eosTokenID: Int?
    /// The id of `pad_token` from tokenizer_config.json, if it has one that is in the vocabulary.
    public let padTokenID: Int?
    /// The id of the unknown token (`unk_token` of the config, else of the model), if any.
    public let unkTokenID: Int?
    /// Token ids (vocabulary and added tokens) must be below this: 2^24, 64 times the largest vocabulary in use
    /// (Gemma's 262,144). The id-to-token table is dense, so this bounds what a hostile file can make it allocate.
    public static let maximumTokenID = 1 << 24
    /// The folder's default chat template, compiled (or the error compiling it), if the folder has one.
    let folderTemplate: Result<ChatTemplate, Error>?
    /// tokenizer_config.json's named templates (`chat_template` as a list), compiled.
    let namedFolderTemplates: [String: Result<ChatTemplate, Error>]?

    /// Loads `tokenizer.json`, and if present `tokenizer_config.json` and `chat_template.jinja`, from a model
    /// directory.
    ///
    /// The chat template is taken as transformers takes it: `chat_template.jinja` (what current transformers writes)
    /// wins over tokenizer_config.json's `chat_template`.
    ///
    /// - Throws: `TokenizerError` naming the file and the component that could not be used.
    public convenience init(directory: URL) throws {
        let tokenizerURL = directory.appendingPathComponent("tokenizer.json")
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        let templateURL = directory.appendingPathComponent("chat_template.jinja")
        let config = FileManager.default.fileExists(atPath: configURL.path) ? try TokenizerConfig.load(from: configURL) : nil
        var template: ChatTemplateFile?
        if FileManager.default.fileExists(atPath: templateURL.path) {
            guard let data = FileManager.default.contents(atPath: templateURL.path) else {
                throw TokenizerError.cannotRead(path: templateURL.path, reason: "cannot read the file")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw TokenizerError.cannotRead(path: templateURL.path, reason: "not UTF-8 text")
            }
            template = ChatTemplateFile(source: text, path: templateURL.path)
        }
        try self.init(file: try TokenizerFile.load(from: tokenizerURL), config: config, path: tokenizerURL.path,
                      chatTemplateFile: template)
    }

    /// Builds a tokenizer from decoded files; `path` names the tokenizer.json in errors.
    ///
    /// - Parameters:
    ///   - file: the decoded `tokenizer.json`.
    ///   - config: the decoded `tokenizer_config.json`, or `nil` for none.
    ///   - path: the `tokenizer.json` path named in errors.
    ///   - chatTemplateFile: a `chat_template.jinja` read beside the files; it wins over `config.chatTemplate`.
    /// - Throws: `TokenizerError.unsupportedComponent` for a component type SwiftTune does not run,
    ///   `.invalidComponent` / `.unknownToken` for settings that cannot be used.
    public init(file: TokenizerFile, config: TokenizerConfig?, path: String,
                chatTemplateFile: ChatTemplateFile? = nil) throws {
        self.file = file
        self.config = config ?? TokenizerConfig()
        self.path = path
        let configPath = URL(fileURLWithPath: path).deletingLastPathComponent()
            .appendingPathComponent("tokenizer_config.json").path
        let compile = { (source: String, name: String) -> Result<ChatTemplate, Error> in
            Result { try ChatTemplate(source: source, name: name) }
        }
        if let chatTemplateFile {
            folderTemplate = compile(chatTemplateFile.source, chatTemplateFile.path)
        } else if let source = config?.chatTemplate {
            folderTemplate = compile(source, "\(configPath) (chat_template)")
        } else {
            folderTemplate = nil
        }
        let named = config?.namedChatTemplates ?? [:]
        namedFolderTemplates = named.isEmpty ? nil : named.mapValues { compile($0, "\(configPath) (chat_template)") }
        model = try BPEModel(file.model, vocabulary: file.vocabulary, path: path)
        normalizer = try file.normalizer.map { try Normalizer($0, path: path) }
        preTokenizer = try file.preTokenizer.map { try PreTokenizer($0, path: path) }
        postProcessor = try file.postProcessor.map { try PostProcessor($0, path: path) }
        decoder = try file.decoder.map { try TokenDecoder($0, path: path) }

        var raw: [AddedTokenMatcher.Entry] = []
        var normalized: [AddedTokenMatcher.Entry] = []
        var addedIDs: [ByteKey: Int] = [:]
        for token in file.addedTokens {
            guard token.id >= 0 else {
                throw TokenizerError.invalidComponent(path: path, component: "added_tokens",
                                                      reason: "token '\(token.content)' has negative id \(token.id)")
            }
            addedIDs[ByteKey(token.content)] = token.id
            if token.normalized {
                let content = normalizer?.normalize(token.content) ?? token.content
                normalized.append(.init(bytes: Array(content.utf8), token: token))
            } else {
                raw.append(.init(bytes: Array(token.content.utf8), token: token))
            }
        }
        rawAddedTokens = AddedTokenMatcher(raw)
        normalizedAddedTokens = AddedTokenMatcher(normalized)
        self.addedIDs = addedIDs

        let maxID = max(file.vocabulary.map(\.id).max() ?? -1, file.addedTokens.map(\.id).max() ?? -1)
        // The id table below is dense, so an id is an allocation size (seen while writing Fuzz/FuzzTokenizer: an
        // added token with id 10^12 was a fatal allocation, Int.max an overflow trap in `maxID + 1`).
        guard maxID < Self.maximumTokenID else {
            let added = file.addedTokens.contains { $0.id == maxID }
            throw TokenizerError.invalidComponent(path: path, component: added ? "added_tokens" : "model",
                                                  reason: "token id \(maxID) is out of range (ids must be below \(Self.maximumTokenID))")
        }
        var tokensByID = [String?](repeating: nil, count: maxID + 1)
        for entry in file.vocabulary { tokensByID[entry.id] = entry.token }
        // Like `tokenizers`, an added token with normalized = true decodes as its normalized content.
        for token in file.addedTokens {
            tokensByID[token.id] = token.normalized ? (normalizer?.normalize(token.content) ?? token.content) : token.content
        }
        self.tokensByID = tokensByID

        // `tokenizers` decides "special" by the token's text, so a vocabulary id with the same text counts too.
        let specialContents = Set(file.addedTokens.filter(\.special).map { ByteKey($0.content) })
        var specialIDs = Set<Int>()
        for (id, token) in tokensByID.enumerated() where token.map({ specialContents.contains(ByteKey($0)) }) ?? false {
            specialIDs.insert(id)
        }
        self.specialIDs = specialIDs

        var distinct = Set(file.vocabulary.map { ByteKey($0.token) })
        for token in file.addedTokens { distinct.insert(ByteKey(token.content)) }
        vocabularySize = distinct.count

        let vocab = model.vocab
        let resolved = config ?? TokenizerConfig()
        let id = { (token: String?) -> Int? in token.flatMap { addedIDs[ByteKey($0)] ?? vocab[ByteKey($0)] } }
        bosTokenID = id(resolved.bosToken)
        eosTokenID = id(resolved.eosToken)
        padTokenID = id(resolved.padToken)
        unkTokenID = id(resolved.unkToken) ?? model.unkID
    }

    /// The token ids of `text`.
    ///
    /// - Parameters:
    ///   - text: the text to tokenize.
    ///   - addSpecialTokens: run the post-processor's template (e.g. Llama's `<s> $A` adds BOS).
    ///     Pass `false` for text that already contains its special tokens, such as a rendered chat template.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var ids: [Int] = []
        var words: [String] = []
        let bytes = Array(text.utf8)
        for span in rawAddedTokens.split(bytes) where span.end > span.start {
            if let id = span.id {
                ids.append(id)
                continue
            }
            let piece = String(decoding: bytes[span.start..<span.end], as: UTF8.self)
            let normalizedPiece = normalizer?.normalize(piece) ?? piece
            let normalizedBytes = Array(normalizedPiece.utf8)
            for sub in normalizedAddedTokens.split(normalizedBytes) where sub.end > sub.start {
                if let id = sub.id {
                    ids.append(id)
                    continue
                }
                let text = sub.start == 0 && sub.end == normalizedBytes.count
                    ? normalizedPiece : String(decoding: normalizedBytes[sub.start..<sub.end], as: UTF8.self)
                let origin = span.start == 0 && sub.start == 0
                words.removeAll(keepingCapacity: true)
                if let preTokenizer {
                    preTokenizer.preTokenize(TextPiece(text: text, atOrigin: origin), into: &words)
                } else {
                    words.append(text)
                }
                for word in words { model.tokenize(word, into: &ids) }
            }
        }
        return postProcessor?.process(ids, addSpecialTokens: addSpecialTokens) ?? ids
    }

    /// The text of `ids`. Ids outside the vocabulary are skipped, as `tokenizers` does.
    ///
    /// - Parameters:
    ///   - ids: the token ids to decode.
    ///   - skipSpecialTokens: drop special added tokens (BOS, EOS, `<|im_end|>`, …).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard id >= 0, id < tokensByID.count, let token = tokensByID[id] else { continue }
            if skipSpecialTokens && specialIDs.contains(id) { continue }
            tokens.append(token)
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decode(tokens)
    }

    /// The id of a token string (added tokens first, then the model's vocabulary), compared byte for byte.
    public func tokenToID(_ token: String) -> Int? {
        addedIDs[ByteKey(token)] ?? model.vocab[ByteKey(token)]
    }

    /// The token string of an id, or `nil` if no token has it.
    public func idToToken(_ id: Int) -> String? {
        guard id >= 0, id < tokensByID.count else { return nil }
        return tokensByID[id]
    }

    /// Whether `id` is a special added token (one `decode(_:skipSpecialTokens: true)` drops).
    public func isSpecialToken(_ id: Int) -> Bool { specialIDs.contains(id) }
}

/// A chat template file read beside a tokenizer (`chat_template.jinja`).
public struct ChatTemplateFile: Sendable, Equatable {
    /// The Jinja source.
    public var source: String
    /// The file it was read from (named in errors).
    public var path: String

    /// Creates a template file description.
    public init(source: String, path: String) {
        self.source = source
        self.path = path
    }
}
