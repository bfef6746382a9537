import Hummingbird

/// Server-sent events as OpenAI and vLLM frame them: `data: {json}\n\n` per event, `data: [DONE]\n\n` last.
enum SSE {
    /// A 200 `text/event-stream` response whose body `write` produces. When the client goes away a write throws,
    /// `write` ends, and its `defer` cancels the job.
    static func response(_ write: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void) -> Response {
        Response(status: .ok,
                 headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", .connection: "keep-alive"],
                 body: ResponseBody { writer in
                     try await write(&writer)
                     try await writer.finish(nil)
                 })
    }

    /// Runs `body` for each event; an error of the stream itself (not of `body`, which is the client's) is returned
    /// as the ``APIError`` to send as the stream's error event.
    static func forEach(_ events: AsyncThrowingStream<GenerationEvent, any Error>,
                        _ body: (GenerationEvent) async throws -> Void) async throws -> APIError? {
        var iterator = events.makeAsyncIterator()
        while true {
            let next: GenerationEvent?
            do { next = try await iterator.next() } catch {
                return error as? APIError ?? APIError.internalError("\(error)")
            }
            guard let event = next else { return nil }
            try await body(event)
        }
    }
}
