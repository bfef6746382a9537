import Foundation
import SwiftTuneCore
import Testing
import TestSupport

@Suite("CausalLanguageModel per-token and per-sequence log-probabilities")
struct ModelLogProbabilitiesTests {
    static func configuration(tied: Bool) -> ModelConfiguration {
        ModelConfiguration(vocabularySize: 32, hiddenSize: 16, intermediateSize: 24, layerCount: 2,
                           attentionHeads: 4, keyValueHeads: 2, maxPositions: 16, tieWordEmbeddings: tied)
    }
    static let shape = [2, 6]
    static let ids = [3, 9, 14, 2, 30, 7, 5, 5, 21, 0, 11, 17]
    static let labels = [-100, -100, 14, 2, 30, 7, -100, 5, 21, -100, 11, 17]

    /// Summed over the scored tokens and divided by their count, the log-probs are −loss; each position equals
    /// log softmax of the model's logits at the next label; unscored positions are 0.
    @Test(arguments: [true, false])
    func matchesLossAndLogits(_ tied: Bool) throws {
        let model = CausalLanguageModel<Double>(configuration: Self.configuration(tied: tied), seed: 4)
        let logp = try model.tokenLogProbabilities(Self.ids, labels: Self.labels, shape: Self.shape).scalars
        let targets = CausalLanguageModel<Double>.shiftedTargets(Self.labels, shape: Self.shape)
        let scored = targets.filter { $0 != ignoreIndex }.count
        let loss = try model.loss(Self.ids, labels: Self.labels, shape: Self.shape).item
        #expect(Swift.abs(-logp.reduce(0, +) / Double(scored) - loss) <= 1e-12)
        let logits = try model(Self.ids, shape: Self.shape).reshaped([12, 32])
        for (i, t) in targets.enumerated() {
            guard t != ignoreIndex else { #expect(logp[i] == 0); continue }
            let row = logits.slice(axis: 0, i..<(i + 1))
            #expect(Swift.abs(logp[i] + crossEntropy(logits: row, targets: [t]).item) <= 1e-12)
        }
        let sums = try model.sequenceLogProbabilities(Self.ids, labels: Self.labels, shape: Self.shape, average: false)
        let means = try model.sequenceLogProbabilities(Self.ids, labels: Self.labels, shape: Self.shape, average: true)
        let counts = CausalLanguageModel<Double>.scoredCounts(targets, batchSize: 2)
        #expect(counts == [4, 4])
        for b in 0..<2 {
            let s = logp[(b * 6)..<(b * 6 + 6)].reduce(0, +)
            #expect(Swift.abs(sums.scalars[b] - s) <= 1e-12)
            #expect(Swift.abs(means.scalars[b] - s / Double(counts[b])) <= 1e-12)
        }
    }

    /// Backward reaches the decoder's parameters and, untied and trainable, the LM head, with the gradient
    /// of −mean(logp) equal to that of the loss.
    @Test func gradientsEqualTheLossGradients() throws {
        let model = CausalLanguageModel<Double>(configuration: Self.configuration(tied: false), seed: 8)
        let targets = CausalLanguageModel<Double>.shiftedTargets(Self.labels, shape: Self.shape)
        let scored = Double(targets.filter { $0 != ignoreIndex }.count)
        let parameters = model.parameters
        func gradients(_ f: () throws -> Tensor<Double>) throws -> [[Double]] {
            for p in parameters { p.value.zeroGradient() }
            try withGradients { try f() }.backward()
            return parameters.map { $0.value.grad?.scalars ?? [] }
        }
        let viaLoss = try gradients { try model.loss(Self.ids, labels: Self.labels, shape: Self.shape) }
        let viaLogp = try gradients {
            try model.tokenLogProbabilities(Self.ids, labels: Self.labels, shape: Self.shape).sum().scaled(by: -1 / scored)
        }
        #expect(viaLoss.allSatisfy { !$0.isEmpty })
        for (a, b) in zip(viaLoss, viaLogp) { #expect(allClose(b, a, rtol: 1e-9, atol: 1e-12).ok) }
    }

    /// A frozen tied table stored as bfloat16 takes the closure path and agrees with the logits.
    @Test func bfloat16TablePath() throws {
        let model = CausalLanguageModel<Float>(configuration: Self.configuration(tied: true), seed: 2)
        model.embedTokens.weight?.isTrainable = false
        #expect(model.storeFrozenEmbeddingsInBFloat16(onlyIfExact: false))
        let logp = try model.tokenLogProbabilities(Self.ids, labels: Self.labels, shape: Self.shape).scalars
        let logits = try model(Self.ids, shape: Self.shape).reshaped([12, 32])
        let targets = CausalLanguageModel<Float>.shiftedTargets(Self.labels, shape: Self.shape)
        for (i, t) in targets.enumerated() where t != ignoreIndex {
            #expect(Swift.abs(logp[i] + crossEntropy(logits: logits.slice(axis: 0, i..<(i + 1)), targets: [t]).item) <= 1e-4)
        }
    }

    /// Bad labels and shapes throw ModelInputError before any work.
    @Test func badInputThrows() {
        let model = CausalLanguageModel<Float>(configuration: Self.configuration(tied: true), seed: 1)
        #expect(throws: ModelInputError.labelOutOfRange(label: 32, index: 3, vocabularySize: 32)) {
            try model.tokenLogProbabilities(Self.ids, labels: [-100, 1, 2, 32] + Array(repeating: 0, count: 8), shape: Self.shape)
        }
        #expect(throws: ModelInputError.self) {
            try model.sequenceLogProbabilities(Self.ids, labels: Array(Self.labels.dropLast()), shape: Self.shape, average: true)
        }
        #expect(throws: ModelInputError.self) {
            try model.tokenLogProbabilities(Self.ids, labels: Self.labels, shape: [2, 5])
        }
    }
}
