// Inputs that trapped the tokenizer reader (found reading its id table while writing Fuzz/FuzzTokenizer); each must
// now throw a typed error.
import Foundation
import Testing
@testable import SwiftTuneCore

@Suite struct TokenizerFuzzTests {
    private func tokenizerJSON(addedID: String, vocabID: String = "2") -> Data {
        Data(#"""
            {"added_tokens": [{"id": \#(addedID), "content": "<s>", "single_word": false, "lstrip": false,
              "rstrip": false, "normalized": false, "special": true}],
             "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": \#(vocabID)}, "merges": ["a b"]}}
            """#.utf8)
    }

    private func build(_ data: Data) throws -> Tokenizer {
        try Tokenizer(file: try TokenizerFile.decode(data, path: "t/tokenizer.json"), config: nil, path: "t/tokenizer.json")
    }

    /// The id table is dense: an added token id of 10^12 was a fatal allocation, Int.max an overflow in `max + 1`.
    @Test(arguments: ["1000000000000", "9223372036854775807", "16777216"])
    func hugeAddedTokenIDIsRefused(id: String) throws {
        let error = #expect(throws: TokenizerError.self) { try build(tokenizerJSON(addedID: id)) }
        let message = "\(try #require(error))"
        #expect(message.contains("t/tokenizer.json") && message.contains("added_tokens") && message.contains(id),
                "\(message)")
    }

    /// Vocabulary ids were only bounded by Int32.max (a 32 GiB table).
    @Test func hugeVocabularyIDIsRefused() throws {
        let error = #expect(throws: TokenizerError.self) { try build(tokenizerJSON(addedID: "3", vocabID: "2000000000")) }
        let message = "\(try #require(error))"
        #expect(message.contains("model") && message.contains("2000000000"), "\(message)")
    }

    /// A sparse but allowed id (2^20; the bound itself is refused above) still loads, and the id round-trips.
    @Test func largeAllowedIDLoads() throws {
        let last = 1 << 20
        let tokenizer = try build(tokenizerJSON(addedID: "\(last)"))
        #expect(tokenizer.tokenToID("<s>") == last)
        #expect(tokenizer.idToToken(last) == "<s>")
        #expect(tokenizer.encode("<s>ab", addSpecialTokens: false) == [last, 2])
    }
}
