import Foundation
@testable import SwiftTuneCore

/// A small random model and helpers that drive a ``DecodingSession`` to the end.
enum DecodingSupport {
    /// Vocabulary 97, 2 layers, hidden 64, 4 query heads over 2 KV heads (head dim 16), 64 positions.
    static func configuration(tied: Bool = true) -> ModelConfiguration {
        ModelConfiguration(vocabularySize: 97, hiddenSize: 64, intermediateSize: 96, layerCount: 2, attentionHeads: 4,
                           keyValueHeads: 2, maxPositions: 64, tieWordEmbeddings: tied)
    }

    static func model(seed: UInt64 = 7, tied: Bool = true) -> CausalLanguageModel<Float> {
        CausalLanguageModel<Float>(configuration: configuration(tied: tied), seed: seed)
    }

    /// What a row produced.
    struct Output: Equatable {
        var tokens: [Int] = []
        var logprobs: [Float] = []
        var top: [[TokenLogprob]] = []
        var finish: FinishReason?
    }

    /// Runs `requests` to the end. `admitAt[i]` is the step before which request i is admitted (default 0);
    /// `cancelAt` maps a request to the step before which it is cancelled.
    static func run(_ session: DecodingSession, _ requests: [DecodingRequest], admitAt: [Int]? = nil,
                    cancelAt: [Int: Int] = [:], prefillTokens: Int = 256) throws -> [Output] {
        let admitAt = admitAt ?? [Int](repeating: 0, count: requests.count)
        var outputs = [Output](repeating: Output(), count: requests.count)
        var ids: [DecodingSession.RowID: Int] = [:]
        var step = 0
        while true {
            for (i, request) in requests.enumerated() where admitAt[i] == step { ids[try session.admit(request)] = i }
            for (i, at) in cancelAt where at == step {
                if let id = ids.first(where: { $0.value == i })?.key { session.cancel(id) }
            }
            let pendingAdmissions = admitAt.contains { $0 > step }
            if session.isIdle && !pendingAdmissions { break }
            for event in try session.step(prefillTokens: prefillTokens) {
                let i = ids[event.row]!
                outputs[i].tokens.append(event.sampled.token)
                outputs[i].logprobs.append(event.sampled.logprob)
                outputs[i].top.append(event.sampled.topLogprobs)
                outputs[i].finish = event.finishReason
            }
            step += 1
        }
        return outputs
    }

    /// A prompt of `count` ids drawn from `seed`.
    static func prompt(_ count: Int, seed: UInt64) -> [Int] {
        var generator = RandomGenerator(seed: seed)
        return (0..<count).map { _ in Int(generator.next() % 97) }
    }
}
