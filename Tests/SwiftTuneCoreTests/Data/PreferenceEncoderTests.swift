import Foundation
@testable import SwiftTuneCore
import Testing

/// Encoding preference rows with Qwen2.5's chat template: prompt with the generation prompt, completions labelled
/// as SFT labels them, `--max-length` rules and drop counts.
@Suite("Preference encoding")
struct PreferenceEncoderTests {
    let tokenizer: Tokenizer

    init() throws { tokenizer = try TokenizerFixture("qwen2").tokenizer }

    func encoder(maxLength: Int = 4096, truncation: TruncationStrategy = .delete, system: String? = nil) -> PreferenceEncoder {
        PreferenceEncoder(SampleEncoder(tokenizer: tokenizer, defaultSystem: system, scope: .assistantTokens,
                                        maxLength: maxLength, truncation: truncation))
    }

    func row(_ json: String) throws -> PreferenceRow { try PreferenceRow(json: Data(json.utf8)) }

    let pairJSON = #"{"messages": [{"role": "user", "content": "Translate: Hund"}, {"role": "assistant", "content": "dog"}], "rejected_response": "a small cat"}"#

    @Test func chosenLabelsEqualWhatSFTLabels() throws {
        let pair = try #require(try encoder().encodePair(row(pairJSON)).item)
        let sft = try #require(try SampleEncoder(tokenizer: tokenizer, scope: .assistantTokens, maxLength: 4096)
            .encode(.messages([DatasetMessage(role: "user", content: "Translate: Hund"), DatasetMessage(role: "assistant", content: "dog")])))
        #expect(pair.chosen == sft)
        #expect(tokenizer.decode(pair.chosenIDs) == "dog<|im_end|>\n")
        #expect(tokenizer.decode(pair.rejectedIDs) == "a small cat<|im_end|>\n")
        #expect(pair.chosenLabels == pair.chosenIDs && pair.rejectedLabels == pair.rejectedIDs)
    }

    @Test func promptIsTheConversationWithTheGenerationPromptAndIsNeverScored() throws {
        let pair = try #require(try encoder(system: "Be brief.").encodePair(row(pairJSON)).item)
        let prompt = try tokenizer.encodeChat([.system("Be brief."), ChatMessage(role: "user", content: "Translate: Hund")],
                                              addGenerationPrompt: true)
        #expect(pair.promptIDs == prompt.ids)
        #expect(tokenizer.decode(pair.promptIDs).hasSuffix("<|im_start|>assistant\n"))
        for sample in [pair.chosen, pair.rejected] {
            #expect(sample.labels.prefix(pair.promptIDs.count).allSatisfy { $0 == ignoreIndex })
            #expect(sample.labels.dropFirst(pair.promptIDs.count).allSatisfy { $0 != ignoreIndex })
        }
    }

    @Test func aMultiMessageReplyScoresOnlyItsAssistantTurns() throws {
        let r = try row(#"{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "x", "loss": false}, {"role": "user", "content": "again"}, {"role": "assistant", "content": "good"}], "rejected_response": [{"role": "assistant", "content": "bad"}]}"#)
        let pair = try #require(try encoder().encodePair(r).item)
        #expect(tokenizer.decode(pair.chosenIDs) == "good<|im_end|>\n")
        #expect(tokenizer.decode(pair.promptIDs).contains("x<|im_end|>"))   // the earlier turn is prompt
        let unscored = try encoder().encodePair(row(#"{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "good", "loss": false}], "rejected_response": "bad"}"#))
        #expect(unscored == .dropped(.nothingToScore))
    }

    @Test func ktoRowsEncodeTheirCompletion() throws {
        let e = try #require(try encoder().encodeUnpaired(row(#"{"messages": [{"role": "user", "content": "Translate: Hund"}, {"role": "assistant", "content": "dog"}], "label": false}"#)).item)
        let pair = try #require(try encoder().encodePair(row(pairJSON)).item)
        #expect(e.promptIDs == pair.promptIDs && e.completionIDs == pair.chosenIDs && !e.desirable)
        #expect(try encoder().encodeUnpaired(.tokenizedUnpaired(promptIDs: [1], completionIDs: [2, 3], desirable: true))
                == .kept(KTOExample(promptIDs: [1], completionIDs: [2, 3], desirable: true)))
    }

    @Test func rowsOfTheWrongKindAreRefused() throws {
        #expect(throws: DatasetRowProblem.self) { try encoder().encodePair(.tokenizedUnpaired(promptIDs: [1], completionIDs: [2], desirable: true)) }
        #expect(throws: DatasetRowProblem.self) { try encoder().encodeUnpaired(.tokenizedPair(promptIDs: [1], chosenIDs: [2], rejectedIDs: [3])) }
    }

    @Test func aRejectedConversationWithAnotherPromptIsRefused() throws {
        let r = try row(#"{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], "rejected_messages": [{"role": "user", "content": "other"}, {"role": "assistant", "content": "b"}]}"#)
        do {
            _ = try encoder().encodePair(r)
            Issue.record("accepted differing prompts")
        } catch let problem as DatasetRowProblem {
            #expect(problem.description.contains("prompt"))
        }
    }

    /// TRL's rule when the prompt alone renders differently: the completion starts where the ids diverge.
    @Test func completionsStartWhereThePromptAndTheConversationDiverge() throws {
        #expect(try PreferenceEncoder.promptLength([1, 2, 3], [[1, 2, 3, 4], [1, 2, 3, 5, 6]]) == 3)
        #expect(try PreferenceEncoder.promptLength([1, 2, 3], [[1, 2, 4, 5], [1, 2, 3, 5]]) == 2)
        #expect(throws: DatasetRowProblem.self) { try PreferenceEncoder.promptLength([1, 2], [[3, 4]]) }
        #expect(throws: DatasetRowProblem.self) { try PreferenceEncoder.promptLength([1, 2], [[1, 2]]) }
    }

    // Pre-tokenized: prompt of 4, chosen of 3, rejected of 5 tokens.
    let tokenized = PreferenceRow.tokenizedPair(promptIDs: [1, 2, 3, 4], chosenIDs: [5, 6, 7], rejectedIDs: [8, 9, 10, 11, 12])

    @Test(arguments: TruncationStrategy.allCases)
    func aPromptThatReachesTheLimitIsDropped(strategy: TruncationStrategy) throws {
        #expect(try encoder(maxLength: 4, truncation: strategy).encodePair(tokenized) == .dropped(.promptTooLong))
        #expect(try encoder(maxLength: 3, truncation: strategy)
                .encodeUnpaired(.tokenizedUnpaired(promptIDs: [1, 2, 3], completionIDs: [4], desirable: true)) == .dropped(.promptTooLong))
    }

    @Test func truncationStrategies() throws {
        #expect(try encoder(maxLength: 9).encodePair(tokenized).item != nil)
        #expect(try encoder(maxLength: 8, truncation: .delete).encodePair(tokenized) == .dropped(.tooLong))
        #expect(try encoder(maxLength: 6, truncation: .right).encodePair(tokenized)
                == .kept(PreferencePair(promptIDs: [1, 2, 3, 4], chosenIDs: [5, 6], rejectedIDs: [8, 9])))
        #expect(try encoder(maxLength: 7, truncation: .left).encodePair(tokenized)
                == .kept(PreferencePair(promptIDs: [3, 4], chosenIDs: [5, 6, 7], rejectedIDs: [8, 9, 10, 11, 12])))
        #expect(try encoder(maxLength: 5, truncation: .left).encodePair(tokenized) == .dropped(.tooLong))
    }

    @Test func datasetEncodingCountsDropsAndNamesBadLines() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swifttune-pref-enc-\(UInt32.random(in: 0...UInt32.max)).jsonl")
        try [#"{"prompt_ids": [1, 2, 3, 4], "chosen_ids": [5], "rejected_ids": [6]}"#,
             #"{"prompt_ids": [1, 2, 3, 4, 5, 6], "chosen_ids": [5], "rejected_ids": [6]}"#,
             #"{"prompt_ids": [1], "chosen_ids": [5, 6, 7, 8, 9, 10], "rejected_ids": [6]}"#,
             #"{"prompt_ids": [1], "chosen_ids": [99999999], "rejected_ids": [6]}"#,
             pairJSON].joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let dataset = try PreferenceDataset(contentsOf: url, kind: .paired)
        let e = encoder(maxLength: 6)
        do {
            _ = try e.encodePairs(dataset, vocabularySize: tokenizer.vocabularySize)
            Issue.record("accepted an id outside the vocabulary")
        } catch let DatasetError.badRow(file, line, reason) {
            #expect(file == url.path && line == 4, "\(reason)")
        }
        let encoded = try e.encodePairs(dataset, vocabularySize: tokenizer.vocabularySize, skipBadRows: true)
        #expect(encoded.items.map(\.line) == [1])
        #expect(encoded.dropped.promptTooLong == 2 && encoded.dropped.tooLong == 1 && encoded.dropped.total == 3)
        #expect(encoded.skipped.count == 1)
    }
}
