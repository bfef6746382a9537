import Foundation
import Hummingbird
import HummingbirdTesting
import SwiftTuneCore
@testable import SwiftTuneServer

/// The repository's embedded model (Defaults/model): a 4-layer Llama with a 640-token vocabulary and 256 positions.
enum Embedded {
    static let modelFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Defaults/model")
    static let tokenizer: Tokenizer = {
        do { return try Tokenizer(directory: modelFolder) } catch { fatalError("Defaults/model has no tokenizer: \(error)") }
    }()
}

/// The models a test server lists.
let testModels = ServedModels(baseName: "tiny", basePath: "/models/tiny", adapters: [.init(name: "fr", path: "/adapters/fr")])

/// Runs `body` against an in-process server (HummingbirdTesting's router client: no socket) over `engine`.
func withServer<Value: Sendable>(_ engine: some InferenceEngine, apiKeys: [String] = [], maxBodyBytes: Int = 1 << 20,
                                 _ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
    let server = OpenAIServer(configuration: ServerConfiguration(apiKeys: apiKeys, maxBodyBytes: maxBodyBytes, models: testModels),
                              engine: engine, prompts: PromptBuilder(tokenizer: Embedded.tokenizer))
    return try await Application(router: server.makeRouter()).test(.router, body)
}

extension TestClientProtocol {
    /// POSTs `json` (a JSON text) to `uri`.
    func post(_ uri: String, _ json: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        var h = headers
        h[.contentType] = "application/json"
        return try await execute(uri: uri, method: .post, headers: h, body: ByteBuffer(string: json))
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The body as a JSON object.
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// `error` of an OpenAI error body.
    var error: [String: Any] { object["error"] as? [String: Any] ?? [:] }

    /// The `data:` payloads of a server-sent event stream, in order (`[DONE]` included as text).
    var events: [String] {
        text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { event in
            event.hasPrefix("data: ") ? String(event.dropFirst(6)) : "NOT-DATA: " + event
        }
    }
}

/// A JSON payload parsed into an object.
func parse(_ json: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
}
