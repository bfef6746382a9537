import Foundation
@testable import SwiftTuneCore
import Testing

/// PreferenceEncoder against TRL's DPOTrainer tokenization (Tools/generate_preference_tokenization_fixtures.py): the same prompt,
/// chosen and rejected ids with Qwen2.5's chat template.
@Suite("Preference encoding parity with TRL")
struct PreferenceTRLParityTests {
    struct Fixture: Decodable {
        struct Case: Decodable {
            var promptIDs: [Int]
            var chosenIDs: [Int]
            var rejectedIDs: [Int]
            var row: JSONRow
            enum CodingKeys: String, CodingKey {
                case row
                case promptIDs = "prompt_ids", chosenIDs = "chosen_ids", rejectedIDs = "rejected_ids"
            }
        }
        var format: String
        var cases: [Case]
    }

    /// The row as its JSON text, to be parsed by ``PreferenceRow/init(json:)``.
    struct JSONRow: Decodable {
        var data: Data
        init(from decoder: Decoder) throws {
            let value = try decoder.singleValueContainer().decode(JSONAny.self)
            data = try JSONSerialization.data(withJSONObject: value.value)
        }
    }

    struct JSONAny: Decodable {
        var value: Any
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { value = s }
            else if let b = try? c.decode(Bool.self) { value = b }
            else if let n = try? c.decode(Int.self) { value = n }
            else if let a = try? c.decode([JSONAny].self) { value = a.map(\.value) }
            else { value = try c.decode([String: JSONAny].self).mapValues(\.value) }
        }
    }

    @Test func idsEqualTRLs() throws {
        let url = try #require(Bundle.module.url(forResource: "qwen2-trl", withExtension: "json", subdirectory: "Fixtures/preference"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        #expect(fixture.format == "swifttune-preference-fixture" && fixture.cases.count == 4)
        let tokenizer = try TokenizerFixture("qwen2").tokenizer
        let encoder = PreferenceEncoder(SampleEncoder(tokenizer: tokenizer, scope: .assistantTokens, maxLength: 4096))
        for (i, c) in fixture.cases.enumerated() {
            let pair = try #require(try encoder.encodePair(PreferenceRow(json: c.row.data)).item, "case \(i)")
            #expect(pair.promptIDs == c.promptIDs, "case \(i)")
            #expect(pair.chosenIDs == c.chosenIDs, "case \(i)")
            #expect(pair.rejectedIDs == c.rejectedIDs, "case \(i)")
            // TRL's completion mask covers every completion token; so do SFT's labels with this template.
            #expect(pair.chosenLabels == c.chosenIDs && pair.rejectedLabels == c.rejectedIDs, "case \(i)")
        }
    }
}
