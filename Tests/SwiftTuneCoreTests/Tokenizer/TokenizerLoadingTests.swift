import Foundation
import SwiftTuneCore
import Testing

/// Bad or unsupported files give a `TokenizerError` naming the file and component; small tokenizers built in
/// code check the BPE details the fixtures do not reach (expected ids computed with HF `tokenizers` 0.23).
@Suite("Tokenizer loading and errors")
struct TokenizerLoadingTests {
    /// A minimal tokenizer.json with replaceable components.
    static func json(normalizer: String = "null", preTokenizer: String = "null", decoder: String = "null",
                     postProcessor: String = "null",
                     model: String = #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}"#) -> String {
        #"{"version": "1.0", "truncation": null, "padding": null, "added_tokens": [], "normalizer": \#(normalizer), "pre_tokenizer": \#(preTokenizer), "post_processor": \#(postProcessor), "decoder": \#(decoder), "model": \#(model)}"#
    }

    /// Writes `tokenizer.json` (and optionally `tokenizer_config.json`) into a fresh directory.
    static func directory(tokenizer: String, config: String? = nil) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swifttune-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(tokenizer.utf8).write(to: dir.appendingPathComponent("tokenizer.json"))
        if let config { try Data(config.utf8).write(to: dir.appendingPathComponent("tokenizer_config.json")) }
        return dir
    }

    func loadError(_ tokenizer: String, config: String? = nil) throws -> TokenizerError? {
        let dir = try Self.directory(tokenizer: tokenizer, config: config)
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            _ = try Tokenizer(directory: dir)
            return nil
        } catch let error as TokenizerError {
            return error
        }
    }

    @Test func minimalTokenizerLoads() throws {
        let dir = try Self.directory(tokenizer: Self.json())
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Tokenizer(directory: dir)
        #expect(t.encode("abba") == [2, 1, 0])
        #expect(t.decode([2, 1, 0]) == "ab b a")  // no decoder: tokens joined by spaces, as in `tokenizers`
    }

    @Test func malformedJSONNamesTheFile() throws {
        let error = try #require(try loadError(#"{"version": "1.0", "model": {"type": "BPE", "vocab": {"a": 0}, "merges": [}}"#))
        guard case let .invalidJSON(path, _) = error else {
            Issue.record("expected invalidJSON, got \(error)")
            return
        }
        #expect(path.hasSuffix("/tokenizer.json"))
        #expect(error.description.contains("tokenizer.json"))
    }

    @Test func missingModelKeyIsInvalidJSON() throws {
        let error = try #require(try loadError(#"{"version": "1.0", "added_tokens": []}"#))
        guard case let .invalidJSON(path, reason) = error else {
            Issue.record("expected invalidJSON, got \(error)")
            return
        }
        #expect(path.hasSuffix("/tokenizer.json"))
        #expect(reason.contains("model"))
    }

    @Test func malformedConfigNamesTheConfigFile() throws {
        let error = try #require(try loadError(Self.json(), config: #"{"bos_token": 12"#))
        #expect(error.path?.hasSuffix("/tokenizer_config.json") == true, "\(error)")
    }

    @Test func missingFileCannotBeRead() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swifttune-missing-\(UUID().uuidString)")
        #expect(performing: { try Tokenizer(directory: dir) }, throws: { error in
            guard case let .cannotRead(path, _)? = error as? TokenizerError else { return false }
            return path == dir.appendingPathComponent("tokenizer.json").path
        })
    }

    @Test(arguments: [
        ("normalizer", Self.json(normalizer: #"{"type": "BertNormalizer", "lowercase": true}"#), "BertNormalizer"),
        ("pre_tokenizer", Self.json(preTokenizer: #"{"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}]}"#), "Whitespace"),
        ("decoder", Self.json(decoder: ###"{"type": "WordPiece", "prefix": "##"}"###), "WordPiece"),
        ("post_processor", Self.json(postProcessor: #"{"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0]}"#), "RobertaProcessing"),
        ("model", Self.json(model: #"{"type": "Unigram", "unk_id": 0, "vocab": [["a", 0.0]]}"#), "Unigram"),
    ])
    func unsupportedComponentsAreTypedErrors(component: String, tokenizer: String, type: String) throws {
        let error = try #require(try loadError(tokenizer))
        guard case let .unsupportedComponent(path, c, t) = error else {
            Issue.record("expected unsupportedComponent, got \(error)")
            return
        }
        #expect(path.hasSuffix("/tokenizer.json"))
        #expect(c == component)
        #expect(t == type)
    }

    @Test func mergeOfUnknownTokenIsReported() throws {
        let error = try #require(try loadError(Self.json(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", "b c"]}"#)))
        #expect(error == .unknownToken(path: error.path ?? "", token: "c", context: "model.merges[1]"))
        #expect(error.path?.hasSuffix("/tokenizer.json") == true)
    }

    @Test func badMergeLineIsInvalidJSON() throws {
        let error = try #require(try loadError(Self.json(model: #"{"type": "BPE", "vocab": {"a": 0}, "merges": ["a b c"]}"#)))
        guard case .invalidJSON = error else {
            Issue.record("expected invalidJSON, got \(error)")
            return
        }
    }

    @Test func badRegexIsInvalidComponent() throws {
        let error = try #require(try loadError(Self.json(preTokenizer: #"{"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated", "invert": false}"#)))
        guard case let .invalidComponent(_, component, _) = error else {
            Issue.record("expected invalidComponent, got \(error)")
            return
        }
        #expect(component == "pre_tokenizer")
    }

    /// `fuse_unk` merges runs of unknown characters into one <unk>; without it each gets its own.
    @Test func unknownCharactersFuseOrNot() throws {
        for (fuse, expected) in [(true, [1, 0, 3]), (false, [1, 0, 0, 3])] {
            let model = #"{"type": "BPE", "unk_token": "<unk>", "fuse_unk": \#(fuse), "vocab": {"<unk>": 0, "a": 1, "b": 2, "ab": 3}, "merges": ["a b"]}"#
            let dir = try Self.directory(tokenizer: Self.json(model: model))
            defer { try? FileManager.default.removeItem(at: dir) }
            let t = try Tokenizer(directory: dir)
            #expect(t.encode("axyab") == expected, "fuse_unk \(fuse)")
            #expect(t.unkTokenID == 0)
        }
    }

    /// Canonically equivalent but distinct tokens keep their own ids (Swift `String` keys would merge them).
    @Test func vocabularyKeysAreByteExact() throws {
        let model = #"{"type": "BPE", "vocab": {"\u00c5": 0, "\u212b": 1, "A": 2, "\u030a": 3}, "merges": []}"#
        let dir = try Self.directory(tokenizer: Self.json(model: model))
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Tokenizer(directory: dir)
        #expect(t.encode("\u{212B}\u{00C5}A\u{030A}") == [1, 0, 2, 3])
        #expect(t.tokenToID("\u{212B}") == 1)
        #expect(t.tokenToID("\u{00C5}") == 0)
        #expect(t.vocabularySize == 4)
    }

    @Test func configSpecialTokensMayBeStringsOrObjects() throws {
        let config = #"{"bos_token": {"__type": "AddedToken", "content": "a", "lstrip": false}, "eos_token": "b", "pad_token": null}"#
        let dir = try Self.directory(tokenizer: Self.json(), config: config)
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Tokenizer(directory: dir)
        #expect(t.bosTokenID == 0)
        #expect(t.eosTokenID == 1)
        #expect(t.padTokenID == nil)
    }

    @Test func byteLevelAlphabetIsGPT2s() {
        #expect(ByteLevelAlphabet.scalar(for: 0x20) == "\u{120}")
        #expect(ByteLevelAlphabet.scalar(for: 0x0A) == "\u{10A}")
        #expect(ByteLevelAlphabet.scalar(for: UInt8(ascii: "A")) == "A")
        #expect(ByteLevelAlphabet.scalar(for: 0xAD) == "\u{143}")
        #expect(Set(ByteLevelAlphabet.scalars).count == 256)
        for b in 0...255 { #expect(ByteLevelAlphabet.byte(for: ByteLevelAlphabet.scalar(for: UInt8(b))) == UInt8(b)) }
        #expect(ByteLevelAlphabet.encode("a b\n") == "a\u{120}b\u{10A}")
    }

    /// Added tokens are recognised anywhere in the text, never split, and outrank the model.
    @Test func addedTokensInsideText() throws {
        let f = try TokenizerFixture("qwen2")
        let t = f.tokenizer
        let start = try #require(t.tokenToID("<|im_start|>"))
        let end = try #require(t.tokenToID("<|im_end|>"))
        let ids = t.encode("x<|im_start|>y<|im_end|><|im_end|>z")
        #expect(ids.filter { $0 == start }.count == 1)
        #expect(ids.filter { $0 == end }.count == 2)
        #expect(t.decode(ids) == "x<|im_start|>y<|im_end|><|im_end|>z")
        #expect(t.decode(ids, skipSpecialTokens: true) == "xyz")
        #expect(t.isSpecialToken(end))
        // A non-special added token survives skipSpecialTokens.
        let call = try #require(t.tokenToID("<tool_call>"))
        #expect(t.encode("<tool_call>").contains(call))
        #expect(!t.isSpecialToken(call))
        #expect(t.decode(t.encode("a <tool_call> b"), skipSpecialTokens: true) == "a <tool_call> b")
    }

    /// ByteLevel's add_prefix_space applies to every piece the Split before it produced (checked with
    /// `tokenizers`: Sequence[Split(\d+, Isolated), ByteLevel(add_prefix_space)] on "ab12cd 34" gives
    /// "Ġab", "Ġ12", "ĠcdĠ", "Ġ34"). With one token per byte and no merges, the ids are those bytes.
    @Test func byteLevelPrefixSpaceAppliesToEverySplit() throws {
        let vocab = (0..<256).map { b -> String in
            let scalar = String(ByteLevelAlphabet.scalar(for: UInt8(b))).unicodeScalars.first!
            return "\"\\u" + String(format: "%04x", scalar.value) + "\": \(b)"
        }.joined(separator: ", ")
        let pre = #"{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\d+"}, "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": false}]}"#
        let dir = try Self.directory(tokenizer: Self.json(preTokenizer: pre, decoder: #"{"type": "ByteLevel"}"#,
                                                          model: #"{"type": "BPE", "vocab": {"# + vocab + #"}, "merges": []}"#))
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Tokenizer(directory: dir)
        #expect(t.encode("ab12cd 34") == Array(" ab 12 cd  34".utf8).map(Int.init))
        #expect(t.decode(t.encode("ab12cd 34")) == " ab 12 cd  34")
    }
}
