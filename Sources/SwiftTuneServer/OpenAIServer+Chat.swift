import Foundation
import Hummingbird
import SwiftTuneCore

extension OpenAIServer {
    /// `POST /v1/chat/completions`.
    func chatCompletions(_ request: Request) async throws -> Response {
        let arrival = ContinuousClock.now
        let limits = engine.limits
        let chat = try ChatCompletionRequest(try await readJSON(request), maxChoices: limits.maxBatchSize,
                                             vocabularySize: limits.vocabularySize)
        let adapter = try configuration.models.adapter(for: chat.model)
        let prompt = try prompts.chat(chat.messages)
        let job = try makeJob(prompt: prompt, adapter: adapter, parameters: chat.parameters,
                              topLogprobs: chat.logprobs ? chat.topLogprobs : 0, param: "messages")
        let handle = try engine.submit(job)
        metrics.promptTokens.increment(by: Int64(prompt.count))
        let model = chat.model ?? configuration.models.baseName
        let id = "chatcmpl-" + RequestID.hex(), created = Self.now()
        let n = job.parameters.n
        let tokenizer = prompts.tokenizer
        @Sendable func logprobs(_ tokens: [ServedToken]) -> ChatLogprobs? {
            chat.logprobs ? ChatLogprobs.make(tokens, topCount: chat.topLogprobs, tokenizer: tokenizer) : nil
        }
        guard job.parameters.stream else {
            defer { handle.cancel() }
            let c = try await collect(handle, choices: n, arrival: arrival)
            let choices = (0..<n).map { i in
                ChatCompletion.Choice(index: i, message: .init(role: "assistant", content: c.text[i]),
                                      logprobs: logprobs(c.tokens[i]), finishReason: c.finish[i])
            }
            return jsonResponse(ChatCompletion(id: id, created: created, model: model, choices: choices,
                                               usage: Usage(promptTokens: prompt.count, completionTokens: c.completionTokens)))
        }
        let includeUsage = job.parameters.includeUsage
        let metrics = self.metrics
        return SSE.response { writer in
            defer { handle.cancel() }
            func chunk(_ choices: [ChatCompletionChunk.Choice], usage: Usage? = nil) -> ByteBuffer {
                WireJSON.event(ChatCompletionChunk(id: id, created: created, model: model, choices: choices, usage: usage))
            }
            for i in 0..<n {
                try await writer.write(chunk([.init(index: i, delta: .init(role: "assistant", content: ""), logprobs: nil,
                                                    finishReason: nil)]))
            }
            var completionTokens = 0
            var timer = TokenTimer(metrics: metrics, arrival: arrival, choices: n)
            let failure = try await SSE.forEach(handle.events) { event in
                timer.record(choice: event.choice)
                completionTokens += 1
                metrics.generationTokens.increment()
                try await writer.write(chunk([.init(index: event.choice, delta: .init(role: nil, content: event.text),
                                                    logprobs: logprobs([event.token]), finishReason: event.finish)]))
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
