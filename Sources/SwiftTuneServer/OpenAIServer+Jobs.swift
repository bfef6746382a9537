import Foundation
import SwiftTuneCore

extension OpenAIServer {
    /// The job of a request: `max_tokens` checked against the model length (or filled up to it), the seed drawn
    /// when absent, the stop ids gathered.
    /// - Parameter param: the field the prompt came from (`messages` or `prompt`), named by length errors.
    /// - Throws: ``APIError`` 400 `context_length_exceeded`, or for an empty prompt.
    func makeJob(prompt: [Int], adapter: String?, parameters: GenerationParameters, topLogprobs: Int,
                 param: String) throws(APIError) -> GenerationJob {
        let limits = engine.limits
        guard !prompt.isEmpty else { throw APIError.invalidValue(param, "the prompt encodes to no tokens") }
        let room = limits.maxModelLength - prompt.count
        guard room >= 1 else {
            throw APIError.contextLengthExceeded(maxModelLength: limits.maxModelLength, promptTokens: prompt.count,
                                                 completionTokens: parameters.maxTokens ?? 1, param: param)
        }
        if let asked = parameters.maxTokens, asked > room {
            throw APIError.contextLengthExceeded(maxModelLength: limits.maxModelLength, promptTokens: prompt.count,
                                                 completionTokens: asked, param: param)
        }
        var parameters = parameters
        if parameters.seed == nil {
            var g = SystemRandomNumberGenerator()
            parameters.seed = g.next()
        }
        var stops = Set(parameters.stopTokenIDs)
        if !parameters.ignoreEOS { stops.formUnion(limits.endOfSequenceTokens) }
        return GenerationJob(prompt: prompt, adapter: adapter, maxTokens: parameters.maxTokens ?? room,
                             parameters: parameters, stopTokens: stops, topLogprobs: topLogprobs)
    }

    /// What each choice produced, gathered from a job's events (for responses without streaming).
    struct Collected {
        var text: [String]
        var tokens: [[ServedToken]]
        var finish: [ChoiceFinish]
        var completionTokens: Int { tokens.reduce(0) { $0 + $1.count } }
    }

    /// Reads every event of `handle`, timing the first token and the gaps between tokens.
    func collect(_ handle: GenerationHandle, choices: Int, arrival: ContinuousClock.Instant) async throws -> Collected {
        var out = Collected(text: Array(repeating: "", count: choices), tokens: Array(repeating: [], count: choices),
                            finish: Array(repeating: .length, count: choices))
        var timer = TokenTimer(metrics: metrics, arrival: arrival, choices: choices)
        for try await event in handle.events {
            timer.record(choice: event.choice)
            out.text[event.choice] += event.text
            out.tokens[event.choice].append(event.token)
            if let finish = event.finish { out.finish[event.choice] = finish }
        }
        metrics.generationTokens.increment(by: Int64(out.completionTokens))
        return out
    }
}

/// Time to first token (per request) and inter-token latency (per choice) into the metrics.
struct TokenTimer {
    let metrics: ServerMetrics
    let arrival: ContinuousClock.Instant
    var last: [ContinuousClock.Instant?]
    var first = true

    init(metrics: ServerMetrics, arrival: ContinuousClock.Instant, choices: Int) {
        self.metrics = metrics
        self.arrival = arrival
        last = Array(repeating: nil, count: choices)
    }

    mutating func record(choice: Int) {
        let now = ContinuousClock.now
        if first {
            metrics.timeToFirstToken.record(now - arrival)
            first = false
        }
        if let previous = last[choice] { metrics.interTokenLatency.record(now - previous) }
        last[choice] = now
    }
}
