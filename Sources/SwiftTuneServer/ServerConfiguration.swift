/// How the server listens and whom it answers.
public struct ServerConfiguration: Sendable {
    /// The address to bind (loopback unless told otherwise).
    public var host: String
    /// The port; 0 picks a free one (reported to ``OpenAIServer/run(onListening:)``).
    public var port: Int
    /// Accepted API keys; empty: no key needed. `/health`, `/metrics` and the chat page never need one.
    public var apiKeys: [String]
    /// Larger request bodies are answered 413.
    public var maxBodyBytes: Int
    /// The names requests may give as `model`.
    public var models: ServedModels

    public init(host: String = "127.0.0.1", port: Int = 8000, apiKeys: [String] = [], maxBodyBytes: Int = 8 << 20,
                models: ServedModels) {
        self.host = host
        self.port = port
        self.apiKeys = apiKeys
        self.maxBodyBytes = maxBodyBytes
        self.models = models
    }
}
