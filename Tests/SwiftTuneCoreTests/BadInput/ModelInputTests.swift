import Foundation
import SwiftTuneCore
import Testing

/// Ids, labels and lengths from user data reach the model's entry points; each bad one is a ``ModelInputError``
/// thrown before any work, never a trap in the embedding, the rotary tables or the cross-entropy kernel.
@Suite struct ModelInputTests {
    let model = CausalLanguageModel<Float>(configuration: BadInput.configuration(), seed: 1)   // V 32, 16 positions

    @Test func sequencesLongerThanThePositionsAreRefused() throws {
        let ids = [Int](repeating: 1, count: 17)
        let tooLong = ModelInputError.sequenceTooLong(length: 17, maxPositions: 16)
        #expect(throws: tooLong) { _ = try model(ids, shape: [1, 17]) }
        #expect(throws: tooLong) { _ = try model.loss(ids, labels: ids, shape: [1, 17]) }
        #expect(throws: tooLong) { _ = try withoutGradients { try model.loss(ids, labels: ids, shape: [1, 17]) } }
        // 16 positions fit, and so does a 24-token row packing segments of 12 (RoPE positions restart at 0).
        #expect(try model(Array(ids.prefix(16)), shape: [1, 16]).shape == [1, 16, 32])
        let packed = try AttentionLayout(segmentLengths: [[12, 12]], length: 24)
        let row = [Int](repeating: 2, count: 24)
        #expect(try model.loss(row, labels: row, shape: [1, 24], layout: packed).item.isFinite)
        let overlong = try AttentionLayout(segmentLengths: [[20, 4]], length: 24)
        #expect(throws: ModelInputError.sequenceTooLong(length: 20, maxPositions: 16)) {
            _ = try model.loss(row, labels: row, shape: [1, 24], layout: overlong)
        }
    }

    @Test func idsAndLabelsOutsideTheVocabularyAreRefused() throws {
        let ids = [1, 2, 3, 4]
        #expect(throws: ModelInputError.tokenOutOfRange(id: 32, index: 2, vocabularySize: 32)) {
            _ = try model([1, 2, 32, 4], shape: [1, 4])
        }
        #expect(throws: ModelInputError.tokenOutOfRange(id: -1, index: 0, vocabularySize: 32)) {
            _ = try model.loss([-1, 2, 3, 4], labels: ids, shape: [1, 4])
        }
        #expect(throws: ModelInputError.labelOutOfRange(label: 40, index: 3, vocabularySize: 32)) {
            _ = try model.loss(ids, labels: [1, 2, 3, 40], shape: [1, 4])
        }
        #expect(throws: ModelInputError.labelOutOfRange(label: -5, index: 1, vocabularySize: 32)) {
            _ = try model.loss(ids, labels: [1, -5, 3, 4], shape: [1, 4])
        }
        #expect(try model.loss(ids, labels: [-100, -100, 3, 4], shape: [1, 4]).item.isFinite)   // −100 is not scored
        let message = "\(ModelInputError.labelOutOfRange(label: 40, index: 3, vocabularySize: 32))"
        #expect(message.contains("label 40") && message.contains("0..<32") && message.contains("-100"))
    }

    @Test func shapesThatDisagreeAreRefused() throws {
        #expect(throws: ModelInputError.shapeMismatch(reason: "3 ids for shape [2, 2]")) { _ = try model([1, 2, 3], shape: [2, 2]) }
        #expect(throws: ModelInputError.shapeMismatch(reason: "3 labels for 4 ids")) {
            _ = try model.loss([1, 2, 3, 4], labels: [1, 2, 3], shape: [1, 4])
        }
        #expect(throws: ModelInputError.self) { _ = try model([1], shape: [Int.max, 2]) }   // B · T overflows
        #expect(throws: ModelInputError.self) { _ = try model([1, 2], shape: [2]) }
        let layout = try AttentionLayout(segmentLengths: [[2]], length: 3)
        #expect(throws: ModelInputError.shapeMismatch(reason: "layout 1×3 for ids of shape [1, 2]")) {
            _ = try model([1, 2], shape: [1, 2], layout: layout)
        }
    }

    @Test func layoutSizesAreChecked() throws {
        #expect(throws: AttentionLayoutError.negativeSize(name: "length", value: -1)) {
            _ = try AttentionLayout(segmentLengths: [[]], length: -1)
        }
        #expect(throws: AttentionLayoutError.negativeSize(name: "window", value: -2)) {
            _ = try AttentionLayout.padded(lengths: [2], length: 4, window: -2)
        }
        #expect(throws: AttentionLayoutError.self) {   // segment lengths whose sum overflows
            _ = try AttentionLayout(segmentLengths: [[Int.max, Int.max]], length: 8)
        }
    }

    @Test func generationSettingsAreChecked() throws {
        func setting(_ name: String, _ body: () throws -> Void) {
            let error = BadInput.error(name, body)
            guard case let .invalidGenerationSetting(got, _, _)? = error as? ModelInputError else {
                Issue.record("\(name): \(String(describing: error))")
                return
            }
            #expect(got == name)
        }
        setting("batch size") { _ = try model.generate(prompts: [], maxNewTokens: 4) }
        setting("prompt[1]") { _ = try model.generate(prompts: [[1], []], maxNewTokens: 4) }
        setting("max_new_tokens") { _ = try model.generate(prompts: [[1]], maxNewTokens: -1) }
        setting("max_new_tokens") { _ = try model.generate(prompts: [[1, 2, 3]], maxNewTokens: 1_000_000_000_000) }
        setting("max_new_tokens") { _ = try model.generate(prompts: [[1, 2, 3]], maxNewTokens: Int.max) }   // no overflow
        setting("temperature") { _ = try model.generate(prompts: [[1]], maxNewTokens: 2, sampling: .init(temperature: .nan)) }
        setting("temperature") { _ = try model.generate(prompts: [[1]], maxNewTokens: 2, sampling: .init(temperature: -1)) }
        setting("repetition_penalty") {
            _ = try model.generate(prompts: [[1]], maxNewTokens: 2, sampling: .init(repetitionPenalty: 0))
        }
        setting("repetition_penalty") {
            _ = try model.generate(prompts: [[1]], maxNewTokens: 2, sampling: .init(repetitionPenalty: -2))
        }
        setting("top_p") { _ = try model.generate(prompts: [[1]], maxNewTokens: 2, sampling: .init(topP: 0)) }
        setting("top_k") { _ = try model.generate(prompts: [[1]], maxNewTokens: 2, sampling: .init(topK: -1)) }
        #expect(throws: ModelInputError.sequenceTooLong(length: 17, maxPositions: 16)) {
            _ = try model.generate(prompts: [[Int](repeating: 1, count: 17)], maxNewTokens: 0)
        }
        #expect(throws: ModelInputError.tokenOutOfRange(id: 99, index: 1, vocabularySize: 32)) {
            _ = try model.generate(prompts: [[1, 99]], maxNewTokens: 2)
        }
        // Exactly up to the last position is allowed: 3 + 13 = 16.
        #expect(try model.generate(prompts: [[1, 2, 3]], maxNewTokens: 13, stopTokens: [])[0].count == 13)
        let message = "\(BadInput.error("too many") { _ = try model.generate(prompts: [[1, 2, 3]], maxNewTokens: 14) }!)"
        #expect(message.contains("max_new_tokens = 14") && message.contains("at most 13"), "\(message)")
    }

    @Test func kvCacheSizesAreChecked() throws {
        let c = BadInput.configuration()
        #expect(throws: ModelInputError.self) { _ = try KVCache(configuration: c, batchSize: 0, capacity: 4) }
        #expect(throws: ModelInputError.self) { _ = try KVCache(configuration: c, batchSize: 1, capacity: 17) }
        #expect(throws: ModelInputError.self) { _ = try KVCache(configuration: c, batchSize: 1, capacity: 0) }
        let huge = BadInput.error("a KV cache beyond memory") {
            _ = try KVCache(configuration: c, batchSize: Int.max / 2, capacity: 16)
        }
        guard case .exceedsMemory? = huge as? ModelInputError else {
            Issue.record("\(String(describing: huge))")
            return
        }
        #expect(try KVCache(configuration: c, batchSize: 2, capacity: 16).capacity == 16)
    }
}
