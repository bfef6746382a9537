import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import SwiftTuneCore

/// The OpenAI-compatible HTTP server: routes, checks, wire format and streaming over an ``InferenceEngine``.
///
/// Routes: `POST /v1/chat/completions`, `POST /v1/completions`, `GET /v1/models`, `GET /v1/models/{id}`,
/// `POST /tokenize`, `POST /detokenize` (these need the API key when one is set), `GET /health`, `GET /metrics` and
/// `GET /` (the chat page), which never do.
///
/// ```swift
/// let server = OpenAIServer(configuration: configuration, engine: engine, prompts: PromptBuilder(tokenizer: tokenizer))
/// try await server.run { port in print("listening on http://127.0.0.1:\(port)") }
/// ```
public struct OpenAIServer: Sendable {
    public let configuration: ServerConfiguration
    public let engine: any InferenceEngine
    public let prompts: PromptBuilder
    public let metrics: ServerMetrics

    public init(configuration: ServerConfiguration, engine: any InferenceEngine, prompts: PromptBuilder,
                metrics: ServerMetrics = ServerMetrics()) {
        self.configuration = configuration
        self.engine = engine
        self.prompts = prompts
        self.metrics = metrics
    }

    /// The router with every route and the error, counting and API-key middleware.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.middlewares.add(OpenAIErrorMiddleware(metrics: metrics))
        router.middlewares.add(APIKeyMiddleware(keys: Set(configuration.apiKeys)))
        router.get("/") { _, _ in ChatPage.response() }
        router.get("/health") { _, _ in
            engine.status().accepting ? Response(status: .ok)
                                      : APIError.unavailable("The server is shutting down.").response()
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.exposition(engine.status()))))
        }
        router.get("/v1/models") { _, _ in
            jsonResponse(configuration.models.list(maxModelLength: engine.limits.maxModelLength, created: Self.now()))
        }
        router.get("/v1/models/{id}") { _, context in
            let id = context.parameters.get("id") ?? ""
            let list = configuration.models.list(maxModelLength: engine.limits.maxModelLength, created: Self.now())
            guard let card = list.data.first(where: { $0.id == id }) else { throw APIError.modelNotFound(id) }
            return jsonResponse(card)
        }
        router.post("/v1/chat/completions") { request, _ in try await chatCompletions(request) }
        router.post("/v1/completions") { request, _ in try await completions(request) }
        router.post("/tokenize") { request, _ in try await tokenize(request) }
        router.post("/detokenize") { request, _ in try await detokenize(request) }
        return router
    }

    /// The Hummingbird application on `configuration.host:port`; `onListening` receives the bound port (the chosen
    /// one when `port` is 0). The engine is shut down (running rows finished) after the HTTP server has stopped.
    public func makeApplication(onListening: @escaping @Sendable (Int) -> Void = { _ in })
        -> Application<RouterResponder<BasicRequestContext>> {
        var logger = Logger(label: "swifttune.server")
        logger.logLevel = .warning
        return Application(router: makeRouter(),
                           configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                                serverName: "swifttune"),
                           services: [EngineService(engine: engine)],
                           onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
                           logger: logger)
    }

    /// Serves until SIGINT or SIGTERM, then stops accepting connections, lets running requests finish, stops the
    /// engine and returns.
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        try await makeApplication(onListening: onListening).runService()
    }

    static func now() -> Int { Int(Date().timeIntervalSince1970) }

    func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: WireJSON.buffer(value)))
    }

    /// The body as JSON: 413 past `maxBodyBytes`, 400 when it is not JSON.
    func readJSON(_ request: Request) async throws -> JSONInput {
        let limit = configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw APIError.bodyTooLarge(limit: limit) }
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: limit) } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.bodyTooLarge(limit: limit)
        }
        return try JSONInput.parse(Data(buffer.readableBytesView))
    }
}

/// Shuts the engine down when the application stops (after the HTTP server, which stops first).
struct EngineService: Service {
    let engine: any InferenceEngine
    func run() async throws {
        try? await gracefulShutdown()
        await engine.shutdown(cancelRunning: false)
    }
}
