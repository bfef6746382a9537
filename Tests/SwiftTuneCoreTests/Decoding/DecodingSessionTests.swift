import Foundation
@testable import SwiftTuneCore
import Testing

/// The decoding session: batch invariance, log-probabilities, continuous batching and chunked prefill.
@Suite struct DecodingSessionTests {
    let model = DecodingSupport.model()

    func request(_ i: Int, promptLength: Int = 5, maxNewTokens: Int = 12, temperature: Double = 1,
                 topLogprobs: Int = 0) -> DecodingRequest {
        DecodingRequest(prompt: DecodingSupport.prompt(promptLength, seed: UInt64(100 + i)), maxNewTokens: maxNewTokens,
                        sampling: SamplingOptions(temperature: temperature, topK: 20, topP: 0.95, seed: UInt64(i)),
                        topLogprobs: topLogprobs)
    }

    @Test func aRowsTokensDoNotDependOnItsBatch() throws {
        let requests = (0..<7).map { request($0, promptLength: 3 + 4 * $0, maxNewTokens: 10 + $0, temperature: $0 == 3 ? 0 : 1) }
        var alone: [DecodingSupport.Output] = []
        for r in requests {
            alone += try DecodingSupport.run(DecodingSession(model: model, maxRows: 1, maxLength: 64), [r])
        }
        // All together, in another admission order, some joining mid-way, with small prefill chunks of other rows.
        let together = try DecodingSupport.run(DecodingSession(model: model, maxRows: 8, maxLength: 64), requests,
                                               admitAt: [3, 0, 5, 0, 1, 9, 2])
        #expect(together == alone)
        // Batch sizes 1…7 hit every row count of the fused kernels (M ≤ 4 lanes, groups of 4 beyond).
        let reversed = try DecodingSupport.run(DecodingSession(model: model, maxRows: 7, maxLength: 64), requests.reversed())
        #expect(Array(reversed.reversed()) == alone)
        #expect(alone.allSatisfy { $0.tokens.count >= 1 && $0.finish != nil })
    }

    @Test func logProbabilitiesEqualAFullForwardPass() throws {
        let r = request(1, promptLength: 6, maxNewTokens: 9, topLogprobs: 5)
        let out = try DecodingSupport.run(DecodingSession(model: model, maxRows: 2, maxLength: 64), [r])[0]
        let ids = r.prompt + out.tokens
        let logits = try withoutGradients { try model(ids, shape: [1, ids.count]) }
        let logProbabilities = logSoftmax(logits)
        let V = 97
        logProbabilities.withUnsafeScalars { all in
            for (t, token) in out.tokens.enumerated() {
                let row = Array(all[((r.prompt.count - 1 + t) * V)..<((r.prompt.count + t) * V)])
                #expect(abs(out.logprobs[t] - row[token]) < 1e-4)
                let best = row.indices.sorted { row[$0] > row[$1] }.prefix(5)
                #expect(out.top[t].map(\.token) == Array(best))
                for entry in out.top[t] { #expect(abs(entry.logprob - row[entry.token]) < 1e-4) }
            }
        }
    }

    @Test func rowsJoinLeaveAndAreCancelledBetweenSteps() throws {
        let requests = (0..<4).map { request($0, maxNewTokens: 15) }
        let alone = try requests.map { try DecodingSupport.run(DecodingSession(model: model, maxRows: 1, maxLength: 64), [$0])[0] }
        let session = try DecodingSession(model: model, maxRows: 3, maxLength: 64)
        // Row 1 is cancelled after a few steps; row 3 takes its slot.
        let mixed = try DecodingSupport.run(session, requests, admitAt: [0, 0, 2, 6], cancelAt: [1: 5])
        #expect(mixed[0] == alone[0] && mixed[2] == alone[2] && mixed[3] == alone[3])
        #expect(mixed[1].tokens == Array(alone[1].tokens.prefix(mixed[1].tokens.count)))
        #expect(mixed[1].tokens.count == 5 && mixed[1].finish == nil)   // one token in each of steps 0 … 4
        #expect(session.isIdle && session.freeRows == 3 && session.activeRows == 0)
        session.cancel(12345)   // unknown: nothing happens
        #expect(session.freeRows == 3)
    }

    @Test func stopIdsAndLengthEndRows() throws {
        let greedy = request(2, maxNewTokens: 8, temperature: 0)
        let free = try DecodingSupport.run(DecodingSession(model: model, maxRows: 1, maxLength: 64), [greedy])[0]
        #expect(free.finish == .length && free.tokens.count == 8)
        var stopping = greedy
        stopping.stopTokens = [free.tokens[3]]
        let stopped = try DecodingSupport.run(DecodingSession(model: model, maxRows: 1, maxLength: 64), [stopping])[0]
        let first = free.tokens.firstIndex(of: free.tokens[3])!
        #expect(stopped.tokens == Array(free.tokens.prefix(first + 1)) && stopped.finish == .stop)
    }

    @Test func chunkedPrefillEqualsOneShotPrefill() throws {
        let r = request(4, promptLength: 37, maxNewTokens: 10, temperature: 0)
        let oneShot = try DecodingSupport.run(DecodingSession(model: model, maxRows: 2, maxLength: 64), [r])[0]
        for chunk in [1, 3, 16] {
            let chunked = try DecodingSupport.run(DecodingSession(model: model, maxRows: 2, maxLength: 64), [r],
                                                  prefillTokens: chunk)[0]
            #expect(chunked.tokens == oneShot.tokens)
            for (a, b) in zip(chunked.logprobs, oneShot.logprobs) { #expect(abs(a - b) < 1e-4) }
        }
        // A long prompt prefilled in chunks of 4 while another row streams: the stream gets a token every step.
        let session = try DecodingSession(model: model, maxRows: 2, maxLength: 64)
        let streaming = try session.admit(request(5, promptLength: 2, maxNewTokens: 20))
        _ = try session.step(prefillTokens: 4)
        let long = try session.admit(r)
        for _ in 0..<9 {   // 37 tokens in chunks of 4: 10 steps, the streaming row decodes in each
            let events = try session.step(prefillTokens: 4)
            #expect(events.map(\.row) == [streaming])
        }
        #expect(try session.step(prefillTokens: 4).map(\.row) == [streaming, long])
    }

    @Test func badRequestsAreTypedErrors() throws {
        let session = try DecodingSession(model: model, maxRows: 1, maxLength: 16)
        #expect(throws: DecodingSessionError.emptyPrompt) { try session.admit(DecodingRequest(prompt: [], maxNewTokens: 1)) }
        #expect(throws: DecodingSessionError.tokenOutOfRange(id: 97, index: 1, vocabularySize: 97)) {
            try session.admit(DecodingRequest(prompt: [1, 97], maxNewTokens: 1))
        }
        #expect(throws: DecodingSessionError.tokenOutOfRange(id: -1, index: 0, vocabularySize: 97)) {
            try session.admit(DecodingRequest(prompt: [-1], maxNewTokens: 1))
        }
        #expect(throws: DecodingSessionError.contextLengthExceeded(promptTokens: 10, maxNewTokens: 7, maxLength: 16)) {
            try session.admit(DecodingRequest(prompt: [Int](repeating: 1, count: 10), maxNewTokens: 7))
        }
        #expect(throws: DecodingSessionError.contextLengthExceeded(promptTokens: 1, maxNewTokens: Int.max, maxLength: 16)) {
            try session.admit(DecodingRequest(prompt: [1], maxNewTokens: Int.max))
        }
        #expect(throws: DecodingSessionError.invalidSetting(name: "max_new_tokens", value: "0", requirement: "must be at least 1")) {
            try session.admit(DecodingRequest(prompt: [1], maxNewTokens: 0))
        }
        for k in [-1, 21] {
            #expect(throws: DecodingSessionError.invalidSetting(name: "top_logprobs", value: "\(k)", requirement: "must be in 0...20")) {
                try session.admit(DecodingRequest(prompt: [1], maxNewTokens: 1, topLogprobs: k))
            }
        }
        #expect(throws: DecodingSessionError.unknownAdapter(name: "x", available: [])) {
            try session.admit(DecodingRequest(prompt: [1], maxNewTokens: 1, adapter: "x"))
        }
        #expect(throws: ModelInputError.self) {
            try session.admit(DecodingRequest(prompt: [1], maxNewTokens: 1, sampling: SamplingOptions(temperature: -1)))
        }
        _ = try session.admit(DecodingRequest(prompt: [1], maxNewTokens: 3))
        #expect(throws: DecodingSessionError.noFreeRow(maxRows: 1)) { try session.admit(DecodingRequest(prompt: [2], maxNewTokens: 1)) }
        #expect(throws: DecodingSessionError.invalidSetting(name: "prefillTokens", value: "0", requirement: "must be at least 1")) {
            try session.step(prefillTokens: 0)
        }
        #expect(throws: DecodingSessionError.self) { try DecodingSession(model: model, maxRows: 0, maxLength: 16) }
        #expect(throws: DecodingSessionError.self) { try DecodingSession(model: model, maxRows: 1, maxLength: 65) }
        #expect(throws: DecodingSessionError.self) { try DecodingSession(model: model, maxRows: 1, maxLength: 0) }
        #expect(throws: ModelInputError.self) { try DecodingSession(model: model, maxRows: Int.max / 4, maxLength: 64) }
    }
}
