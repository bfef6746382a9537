import Foundation
import SwiftTuneCore
import Testing

/// tokenizer.json files that would load but tokenize wrongly, or allocate without bound, are refused naming the file.
@Suite struct TokenizerFileTests {
    static func fixture(_ name: String) throws -> [String: Any] {
        let url = try #require(Bundle.module.url(forResource: "tokenizer", withExtension: "json",
                                                 subdirectory: "Fixtures/tokenizers/\(name)"))
        return try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// Writes `object` as tokenizer.json in a fresh folder and loads it.
    static func load(_ object: [String: Any]) throws -> (error: Error?, path: String) {
        let dir = try BadInput.folder("tokenizer")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("tokenizer.json")
        try BadInput.writeJSON(object, to: url)
        do {
            _ = try Tokenizer(directory: dir)
            return (nil, url.path)
        } catch {
            return (error, url.path)
        }
    }

    @Test(arguments: ["qwen2", "llama3", "llama2"]) func missingOrEmptyMergesAreRefused(_ name: String) throws {
        for empty in [true, false] {
            var file = try Self.fixture(name)
            var model = try #require(file["model"] as? [String: Any])
            if empty { model["merges"] = [Any]() } else { model.removeValue(forKey: "merges") }
            file["model"] = model
            let (error, path) = try Self.load(file)
            guard case let .invalidComponent(at, component, reason)? = error as? TokenizerError else {
                Issue.record("\(name), merges \(empty ? "empty" : "missing"): \(String(describing: error))")
                continue
            }
            #expect(at == path && component == "model")
            #expect(reason.contains("'merges' is missing or empty") && reason.contains("multi-character"), "\(reason)")
        }
    }

    /// A vocabulary of single characters needs no merges: that file still loads.
    @Test func singleCharacterVocabularyNeedsNoMerges() throws {
        let file: [String: Any] = ["model": ["type": "BPE", "vocab": ["a": 0, "b": 1, "<s>": 2], "merges": [Any]()],
                                   "added_tokens": [["id": 2, "content": "<s>", "special": true]]]
        let (error, _) = try Self.load(file)
        #expect(error == nil, "\(String(describing: error))")
    }

    @Test func idsOutOfRangeAreRefused() throws {
        var file = try Self.fixture("qwen2")
        var added = try #require(file["added_tokens"] as? [[String: Any]])
        added[0]["id"] = 1_000_000_000_000
        file["added_tokens"] = added
        let (error, path) = try Self.load(file)
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.hasPrefix(path + ": added_tokens: added_tokens[0]"), "\(message)")
        #expect(message.contains("1000000000000") && message.contains("out of range 0...\(Tokenizer.maximumTokenID)"), "\(message)")

        var vocabFile = try Self.fixture("qwen2")
        var model = try #require(vocabFile["model"] as? [String: Any])
        var vocab = try #require(model["vocab"] as? [String: Int])
        vocab["!"] = 2_000_000_000
        model["vocab"] = vocab
        vocabFile["model"] = model
        let (vocabError, _) = try Self.load(vocabFile)
        #expect("\(vocabError.map { "\($0)" } ?? "")".contains("vocab id 2000000000 of '!' is out of range"),
                "\(String(describing: vocabError))")
    }

    /// A template post-processor whose special token id is no token (Llama-2's `<s>` moved to 99999) is refused.
    @Test func postProcessorIDsMustBeTokens() throws {
        var file = try Self.fixture("llama2")
        var post = try #require(file["post_processor"] as? [String: Any])
        var special = try #require(post["special_tokens"] as? [String: [String: Any]])
        let name = try #require(special.keys.sorted().first)
        special[name]?["ids"] = [99_999]
        post["special_tokens"] = special
        file["post_processor"] = post
        let (error, path) = try Self.load(file)
        #expect(error as? TokenizerError == .invalidComponent(
            path: path, component: "post_processor",
            reason: "special_tokens['\(name)'] has id 99999, which is no token of model.vocab or added_tokens"),
                "\(String(describing: error))")
    }

    @Test func emptyVocabularyAndUnknownModelTypeAreRefused() throws {
        let (empty, path) = try Self.load(["model": ["type": "BPE", "vocab": [String: Int](), "merges": [Any]()]])
        #expect(empty as? TokenizerError == .invalidComponent(
            path: path, component: "model", reason: "'vocab' is missing or empty; every text would encode to no tokens"))
        let (unigram, unigramPath) = try Self.load(["model": ["type": "Unigram", "vocab": [["a", -1.0]]]])
        #expect(unigram as? TokenizerError == .unsupportedComponent(path: unigramPath, component: "model", type: "Unigram"))
        let (untyped, untypedPath) = try Self.load(["model": ["vocab": ["a": 0]]])
        #expect("\(untyped.map { "\($0)" } ?? "")".hasPrefix(untypedPath + ": invalid JSON: model: the model has neither a 'type' nor 'merges'"),
                "\(String(describing: untyped))")
    }
}
