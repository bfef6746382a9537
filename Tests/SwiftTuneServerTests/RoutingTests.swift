import Foundation
import HummingbirdTesting
import Testing
@testable import SwiftTuneServer

@Suite struct RoutingTests {
    @Test func healthModelsPageAndUnknownRoutes() async throws {
        try await withServer(ScriptedEngine()) { client in
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            let models = try await client.execute(uri: "/v1/models", method: .get)
            #expect(models.status == .ok)
            #expect(models.object["object"] as? String == "list")
            let data = try #require(models.object["data"] as? [[String: Any]])
            #expect(data.map { $0["id"] as? String } == ["tiny", "fr"])
            #expect(data[0]["root"] as? String == "/models/tiny")
            #expect(data[0]["parent"] is NSNull)
            #expect(data[0]["max_model_len"] as? Int == 64)
            #expect(data[1]["root"] as? String == "/adapters/fr")
            #expect(data[1]["parent"] as? String == "tiny")
            #expect(data[1]["object"] as? String == "model")
            let one = try await client.execute(uri: "/v1/models/fr", method: .get)
            #expect(one.object["id"] as? String == "fr")
            let missing = try await client.execute(uri: "/v1/models/nope", method: .get)
            #expect(missing.status == .notFound)
            #expect(missing.error["code"] as? String == "model_not_found")
            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains("/v1/chat/completions") && page.text.contains("autosend"))
            #expect(!page.text.contains("http://") && !page.text.contains("https://"))   // no external assets
            let unknown = try await client.execute(uri: "/v1/nope", method: .post)
            #expect(unknown.status == .notFound)
            #expect(unknown.error["message"] as? String == "Invalid URL (POST /v1/nope)")
            #expect(unknown.error["type"] as? String == "invalid_request_error")
            #expect(unknown.error.keys.sorted() == ["code", "message", "param", "type"])
        }
    }

    @Test func metricsCountRequestsByStatusAndTokens() async throws {
        try await withServer(ScriptedEngine()) { client in
            _ = try await client.post("/v1/completions", #"{"prompt": "hello", "max_tokens": 3}"#)
            _ = try await client.post("/v1/completions", #"{"prompt": 5}"#)
            let text = try await client.execute(uri: "/metrics", method: .get).text
            #expect(text.contains(#"swifttune_requests_total{status="200"} 1"#))
            #expect(text.contains(#"swifttune_requests_total{status="400"} 1"#))
            #expect(text.contains("swifttune_generation_tokens_total 3"))
            #expect(text.contains("swifttune_queue_depth 0"))
            #expect(text.contains("swifttune_running_rows 0"))
            #expect(text.contains("swifttune_time_to_first_token_seconds_count 1"))
            #expect(text.contains("swifttune_inter_token_latency_seconds_count 2"))
        }
    }

    @Test func tokenizeAndDetokenizeRoundTrip() async throws {
        try await withServer(ScriptedEngine()) { client in
            let r = try await client.post("/tokenize", #"{"prompt": "hello world", "return_token_strs": true}"#)
            #expect(r.status == .ok)
            let tokens = try #require(r.object["tokens"] as? [Int])
            #expect(tokens == Embedded.tokenizer.encode("hello world"))
            #expect(r.object["count"] as? Int == tokens.count)
            #expect(r.object["max_model_len"] as? Int == 64)
            #expect((r.object["token_strs"] as? [String])?.count == tokens.count)
            let chat = try await client.post("/tokenize", #"{"messages": [{"role": "user", "content": "hi"}]}"#)
            #expect(chat.object["tokens"] as? [Int] == (try PromptBuilder(tokenizer: Embedded.tokenizer).chat([.user("hi")])))
            let back = try await client.post("/detokenize", #"{"tokens": \#(tokens)}"#)
            #expect(back.object["prompt"] as? String == Embedded.tokenizer.decode(tokens))
            let bad = try await client.post("/detokenize", #"{"tokens": [1, 99999]}"#)
            #expect(bad.status == .badRequest)
            #expect(bad.error["param"] as? String == "tokens[1]")
        }
    }
}
