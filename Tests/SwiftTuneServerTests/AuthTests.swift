import Foundation
import HummingbirdTesting
import Testing
@testable import SwiftTuneServer

@Suite struct AuthTests {
    @Test func keysAreCheckedOnTheAPIAndNotOnHealthMetricsOrThePage() async throws {
        try await withServer(ScriptedEngine(), apiKeys: ["sk-one", "sk-two"]) { client in
            let body = #"{"prompt": "hi", "max_tokens": 1}"#
            let missing = try await client.post("/v1/completions", body)
            #expect(missing.status == .unauthorized)
            #expect(missing.error["code"] as? String == "invalid_api_key")
            #expect(missing.error["type"] as? String == "authentication_error")
            #expect(try await client.post("/v1/completions", body, headers: [.authorization: "Bearer sk-nope"]).status == .unauthorized)
            #expect(try await client.post("/v1/completions", body, headers: [.authorization: "Bearer sk-two"]).status == .ok)
            #expect(try await client.post("/v1/completions", body, headers: [APIKeyMiddleware.apiKeyHeader: "sk-one"]).status == .ok)
            #expect(try await client.execute(uri: "/v1/models", method: .get).status == .unauthorized)
            #expect(try await client.post("/tokenize", #"{"prompt": "x"}"#).status == .unauthorized)
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/", method: .get).status == .ok)
        }
    }
}
