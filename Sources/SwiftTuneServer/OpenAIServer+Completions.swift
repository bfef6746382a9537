import Foundation
import Hummingbird
import SwiftTuneCore

extension OpenAIServer {
    /// `POST /v1/completions`.
    func completions(_ request: Request) async throws -> Response {
        let arrival = ContinuousClock.now
        let limits = engine.limits
        let body = try CompletionRequest(try await readJSON(request), maxChoices: limits.maxBatchSize,
                                         vocabularySize: limits.vocabularySize)
        let adapter = try configuration.models.adapter(for: body.model)
        let tokenizer = prompts.tokenizer
        let prompt: [Int], promptText: String
        switch body.prompt {
        case let .text(text): prompt = prompts.text(text); promptText = text
        case let .tokens(ids): prompt = ids; promptText = tokenizer.decode(ids, skipSpecialTokens: false)
        }
        let job = try makeJob(prompt: prompt, adapter: adapter, parameters: body.parameters,
                              topLogprobs: body.logprobs ?? 0, param: "prompt")
        let handle = try engine.submit(job)
        metrics.promptTokens.increment(by: Int64(prompt.count))
        let model = body.model ?? configuration.models.baseName
        let id = "cmpl-" + RequestID.hex(), created = Self.now()
        let n = job.parameters.n
        let echo = body.echo ? promptText : ""
        @Sendable func logprobs(_ tokens: [ServedToken], offset: Int) -> CompletionLogprobs? {
            body.logprobs.map { CompletionLogprobs.make(tokens, topCount: $0, tokenizer: tokenizer, offset: offset) }
        }
        guard job.parameters.stream else {
            defer { handle.cancel() }
            let c = try await collect(handle, choices: n, arrival: arrival)
            let choices = (0..<n).map { i in
                TextCompletion.Choice(index: i, text: echo + c.text[i], logprobs: logprobs(c.tokens[i], offset: echo.count),
                                      finishReason: c.finish[i])
            }
            return jsonResponse(TextCompletion(id: id, created: created, model: model, choices: choices,
                                               usage: Usage(promptTokens: prompt.count, completionTokens: c.completionTokens)))
        }
        let includeUsage = job.parameters.includeUsage
        let metrics = self.metrics
        return SSE.response { writer in
            defer { handle.cancel() }
            func chunk(_ choices: [TextCompletion.Choice], usage: Usage? = nil) -> ByteBuffer {
                WireJSON.event(TextCompletion(id: id, created: created, model: model, choices: choices, usage: usage))
            }
            var offsets = Array(repeating: echo.count, count: n)
            if !echo.isEmpty {
                for i in 0..<n { try await writer.write(chunk([.init(index: i, text: echo, logprobs: nil, finishReason: nil)])) }
            }
            var completionTokens = 0
            var timer = TokenTimer(metrics: metrics, arrival: arrival, choices: n)
            let failure = try await SSE.forEach(handle.events) { event in
                timer.record(choice: event.choice)
                completionTokens += 1
                metrics.generationTokens.increment()
                let lp = logprobs([event.token], offset: offsets[event.choice])
                offsets[event.choice] += event.text.count
                try await writer.write(chunk([.init(index: event.choice, text: event.text, logprobs: lp, finishReason: event.finish)]))
            }
            if let failure {
                try await writer.write(WireJSON.event(failure.body))
            } else if includeUsage {
                try await writer.write(chunk([], usage: Usage(promptTokens: prompt.count, completionTokens: completionTokens)))
            }
            try await writer.write(WireJSON.done)
        }
    }
}
