import Foundation
@testable import SwiftTuneCore
import Testing

/// One batch of 2P sequences per micro-batch: chosen then rejected (or KTO completion then the mismatched KL
/// completion), labels on completions only, and packing that changes no log-probability.
@Suite("Preference batches")
struct PreferenceBatchTests {
    let pairs = [
        PreferencePair(promptIDs: [1, 2], chosenIDs: [3], rejectedIDs: [4, 5, 6]),
        PreferencePair(promptIDs: [7], chosenIDs: [8, 9], rejectedIDs: [10], rejectedLabels: [ignoreIndex]),
    ]

    @Test func paddedPairsAreChosenRowsThenRejectedRows() throws {
        let b = try PreferenceBatch.padded(pairs, padID: 0)
        #expect(b.batch.shape == [4, 5])
        #expect(b.count == 2)
        let m = ignoreIndex
        #expect(b.batch.ids == [1, 2, 3, 0, 0,  7, 8, 9, 0, 0,  1, 2, 4, 5, 6,  7, 10, 0, 0, 0])
        #expect(b.batch.labels == [m, m, 3, m, m,  m, 8, 9, m, m,  m, m, 4, 5, 6,  m, m, m, m, m])
        #expect(b.chosen(1) == .init(row: 1, start: 0, length: 3))
        #expect(b.rejected(0) == .init(row: 2, start: 0, length: 5))
        #expect(b.scoredPositions(ofSequence: 2) == [11, 12, 13])   // the positions predicting labels 12, 13, 14
        #expect(b.batch.scoredTokenCount == 6)
        #expect(b.desirable == nil)
        #expect(throws: PreferenceBatchError.empty) { try PreferenceBatch.padded([]) }
    }

    let examples = [
        KTOExample(promptIDs: [1], completionIDs: [2, 3], desirable: true),
        KTOExample(promptIDs: [4, 5], completionIDs: [6], desirable: false),
        KTOExample(promptIDs: [7], completionIDs: [8, 9, 10], desirable: true),
    ]

    @Test func ktoKLRowsPairEachPromptWithThePreviousCompletion() throws {
        let b = try PreferenceBatch.kto(examples)
        let T = b.batch.shape[1]
        func sequence(_ k: Int) -> [Int] {
            let l = b.locations[k]
            return Array(b.batch.ids[(l.row * T + l.start)..<(l.row * T + l.start + l.length)])
        }
        #expect((0..<3).map(sequence) == [[1, 2, 3], [4, 5, 6], [7, 8, 9, 10]])
        // row 0's prompt with the last completion, row i's with row i − 1's
        #expect((3..<6).map(sequence) == [[1, 8, 9, 10], [4, 5, 2, 3], [7, 6]])
        #expect(b.scoredPositions(ofSequence: 4).map { b.batch.ids[$0 + 1] } == [2, 3])
        #expect(b.desirable == [true, false, true])
        // maxLength cuts the mismatched completion on the right
        let cut = try PreferenceBatch.kto(examples, maxLength: 3)
        #expect(cut.locations[3].length == 3 && cut.batch.ids[cut.locations[3].row * cut.batch.shape[1] + 1] == 8)
    }

    @Test func klCompletionsRotateWithinGroups() throws {
        let five = (0..<5).map { KTOExample(promptIDs: [1], completionIDs: [10 + $0], desirable: true) }
        #expect(KTOExample.shiftedCompletions(five, groupSize: 2).map(\.completionIDs) == [[11], [10], [13], [12], [14]])
        #expect(KTOExample.shiftedCompletions(five, groupSize: 5).map(\.completionIDs) == [[14], [10], [11], [12], [13]])
        // given KL completions replace the in-batch shift
        let b = try PreferenceBatch.kto([examples[0]], klCompletions: [examples[1]])
        #expect(b.batch.ids.prefix(b.batch.shape[1] * 2).suffix(b.batch.shape[1]).prefix(2) == [1, 6])
    }

    @Test func aKTOBatchOfOneIsAnErrorThatSaysWhy() throws {
        #expect(throws: PreferenceBatchError.ktoBatchOfOne) { try PreferenceBatch.kto([examples[0]]) }
        #expect(PreferenceBatchError.ktoBatchOfOne.description.contains("KL"))
    }

    @Test func packedSequencesHaveThePaddedLogProbabilities() throws {
        let url = try #require(Bundle.module.url(forResource: "llama-gqa", withExtension: nil, subdirectory: "Fixtures/models"))
        let model = try CausalLanguageModel<Float>.load(from: url)
        let padded = try PreferenceBatch.padded(pairs)
        let packed = try PreferenceBatch.packed(pairs, capacity: 8)
        #expect(packed.batch.shape[0] < 4)
        let a = try model.tokenLogProbabilities(padded.batch.ids, labels: padded.batch.labels, shape: padded.batch.shape,
                                                layout: padded.batch.layout).scalars
        let b = try model.tokenLogProbabilities(packed.batch.ids, labels: packed.batch.labels, shape: packed.batch.shape,
                                                layout: packed.batch.layout).scalars
        for k in 0..<4 {
            let x = padded.scoredPositions(ofSequence: k).map { a[$0] }
            let y = packed.scoredPositions(ofSequence: k).map { b[$0] }
            #expect(x.count == y.count)
            for (u, v) in zip(x, y) { #expect(abs(u - v) < 1e-5, "sequence \(k): \(x) vs \(y)") }
            #expect(x.allSatisfy { $0 < 0 })
        }
    }
}
