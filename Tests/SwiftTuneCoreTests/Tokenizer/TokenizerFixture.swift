import Foundation
import SwiftTuneCore

/// One folder of Tests/SwiftTuneCoreTests/Fixtures/tokenizers (written by Tools/generate_tokenizer_fixtures.py):
/// a tokenizer built with HF `tokenizers`, and what `tokenizers` / transformers produced with it.
struct TokenizerFixture {
    struct Case: Decodable {
        var text: String
        var ids: [Int]
        var idsNoSpecial: [Int]
        var tokens: [String]
        /// `id_to_token` of each id (for a normalized added token, its normalized content).
        var idTokens: [String]
        /// `token_to_id` of each of `idTokens` (nil where `tokenizers` gives None).
        var tokenIDs: [Int?]
        var decoded: String
        var decodedSkipSpecial: String

        enum CodingKeys: String, CodingKey {
            case text, ids, tokens, decoded
            case idsNoSpecial = "ids_no_special"
            case idTokens = "id_tokens"
            case tokenIDs = "token_ids"
            case decodedSkipSpecial = "decoded_skip_special"
        }
    }

    struct Decode: Decodable {
        var ids: [Int]
        var skipSpecialTokens: Bool
        var text: String

        enum CodingKeys: String, CodingKey {
            case ids, text
            case skipSpecialTokens = "skip_special_tokens"
        }
    }

    struct Chat: Decodable {
        var messages: [ChatMessage]
        var addGenerationPrompt: Bool
        var rendered: String?
        var ids: [Int]?

        enum CodingKeys: String, CodingKey {
            case messages, rendered, ids
            case addGenerationPrompt = "add_generation_prompt"
        }
    }

    struct Expected: Decodable {
        var format: String
        var name: String
        var tokenizers: String
        var vocabSize: Int
        var bosTokenID: Int?
        var eosTokenID: Int?
        var padTokenID: Int?
        var cases: [Case]
        var decodes: [Decode]
        var chats: [Chat]

        enum CodingKeys: String, CodingKey {
            case format, name, tokenizers, cases, decodes, chats
            case vocabSize = "vocab_size"
            case bosTokenID = "bos_token_id"
            case eosTokenID = "eos_token_id"
            case padTokenID = "pad_token_id"
        }
    }

    static let names = ["qwen2", "llama3", "llama2", "metaspace"]

    let name: String
    let directory: URL
    let tokenizer: Tokenizer
    let expected: Expected

    init(_ name: String) throws {
        guard let url = Bundle.module.url(forResource: "expected", withExtension: "json",
                                          subdirectory: "Fixtures/tokenizers/\(name)") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures/tokenizers/\(name)/expected.json"])
        }
        self.name = name
        directory = url.deletingLastPathComponent()
        tokenizer = try Tokenizer(directory: directory)
        expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
    }

    /// The scalars of `s` as hex, so that failures show invisible and look-alike characters.
    static func scalars(_ s: String) -> String {
        s.unicodeScalars.map { $0.value < 0x80 && $0.value >= 0x20 ? String($0) : String(format: "\\u{%X}", $0.value) }
            .joined()
    }

    /// Compares two strings by Unicode scalars (Swift's `==` would accept canonically equivalent text).
    static func same(_ a: String, _ b: String) -> Bool { Array(a.unicodeScalars) == Array(b.unicodeScalars) }
}
