import Foundation
import HummingbirdTesting
import Testing
@testable import SwiftTuneServer

@Suite struct ErrorShapeTests {
    /// (body, status, param, code) for chat completions.
    static let chatCases: [(String, Int, String?, String?)] = [
        (#"{"messages": [{"role": "user", "content": "hi"}"#, 400, nil, nil),                         // malformed JSON
        (#"[1, 2]"#, 400, nil, nil),                                                                  // not an object
        (#"{"model": "tiny"}"#, 400, "messages", "invalid_value"),
        (#"{"messages": []}"#, 400, "messages", "invalid_value"),
        (#"{"messages": [{"content": "hi"}]}"#, 400, "messages[0].role", "invalid_value"),
        (#"{"messages": [{"role": "user", "content": 3}]}"#, 400, "messages[0].content", "invalid_value"),
        (#"{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]}"#, 400, "messages[0].content[0].type", "unsupported_parameter"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}"#, 400, "temperature", "invalid_value"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "temperature": 2.5}"#, 400, "temperature", "invalid_value"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "top_p": 0}"#, 400, "top_p", "invalid_value"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}"#, 400, "max_tokens", "invalid_value"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1.5}"#, 400, "max_tokens", "invalid_value"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "n": 5}"#, 400, "n", "invalid_value"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "presence_penalty": -2.1}"#, 400, "presence_penalty", "invalid_value"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "stop": ["a", "b", "c", "d", "e"]}"#, 400, "stop", "invalid_value"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "stop": ["a", 1]}"#, 400, "stop[1]", "invalid_value"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "seed": "x"}"#, 400, "seed", "invalid_value"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "top_logprobs": 3}"#, 400, "top_logprobs", "invalid_value"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "logprobs": true, "top_logprobs": 21}"#, 400, "top_logprobs", "invalid_value"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "stream_options": {"include_usage": true}}"#, 400, "stream_options", "invalid_value"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function"}]}"#, 400, "tools", "unsupported_parameter"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "tool_choice": "required"}"#, 400, "tool_choice", "unsupported_parameter"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_object"}}"#, 400, "response_format", "unsupported_parameter"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "logit_bias": {"5": 10}}"#, 400, "logit_bias", "unsupported_parameter"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "n": 2, "best_of": 3}"#, 400, "best_of", "unsupported_parameter"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1000}"#, 400, "messages", "context_length_exceeded"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "model": "gpt-9"}"#, 404, "model", "model_not_found"),
    ]

    @Test(arguments: 0..<chatCases.count) func chatFieldErrorsNameTheField(_ index: Int) async throws {
        let (body, status, param, code) = Self.chatCases[index]
        let engine = ScriptedEngine()
        try await withServer(engine) { client in
            let r = try await client.post("/v1/chat/completions", body)
            #expect(r.status.code == status, "\(body)")
            #expect(r.headers[.contentType] == "application/json")
            let error = r.error
            #expect(error.keys.sorted() == ["code", "message", "param", "type"], "\(r.text)")
            #expect(error["param"] as? String == param, "\(r.text)")
            #expect(error["code"] as? String == code, "\(r.text)")
            #expect((error["message"] as? String)?.isEmpty == false)
        }
        #expect(engine.jobs.isEmpty)   // nothing bad reaches the engine
    }

    @Test func harmlessAndUnknownFieldsAreAccepted() async throws {
        try await withServer(ScriptedEngine()) { client in
            let body = #"""
            {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}], "max_tokens": 2, "tools": [],
             "tool_choice": "none", "response_format": {"type": "text"}, "logit_bias": {}, "user": "u1", "store": false,
             "metadata": {"a": "b"}, "some_future_field": 1, "stop": null, "n": 1, "best_of": 1, "stream": false}
            """#
            let r = try await client.post("/v1/chat/completions", body)
            #expect(r.status == .ok, "\(r.text)")
        }
    }

    @Test func completionFieldErrors() async throws {
        try await withServer(ScriptedEngine()) { client in
            for (body, param) in [(#"{"prompt": "x", "logprobs": 6}"#, "logprobs"), (#"{"prompt": "x", "suffix": "y"}"#, "suffix"),
                                  (#"{"prompt": "x", "echo": true, "logprobs": 1}"#, "echo"), (#"{"prompt": ["a", "b"]}"#, "prompt"),
                                  (#"{"prompt": [1, 700]}"#, "prompt[1]"), (#"{"prompt": []}"#, "prompt"),
                                  (#"{"prompt": "x", "stop_token_ids": [-1]}"#, "stop_token_ids[0]")] {
                let r = try await client.post("/v1/completions", body)
                #expect(r.status == .badRequest, "\(body)")
                #expect(r.error["param"] as? String == param, "\(body): \(r.text)")
            }
        }
    }

    @Test func oversizedBodyIs413() async throws {
        try await withServer(ScriptedEngine(), maxBodyBytes: 256) { client in
            let big = #"{"prompt": ""# + String(repeating: "a", count: 1000) + #""}"#
            let r = try await client.post("/v1/completions", big)
            #expect(r.status == .contentTooLarge)
            #expect(r.error["code"] as? String == "request_too_large")
        }
    }

    @Test func fullQueueIs429WithRetryAfter() async throws {
        let engine = ScriptedEngine(gateOpen: false)
        try await withServer(engine) { client in
            let body = #"{"prompt": "hi", "max_tokens": 2}"#
            async let first = client.post("/v1/completions", body)
            async let second = client.post("/v1/completions", body)
            while engine.status().waiting < 2 { try await Task.sleep(for: .milliseconds(2)) }
            let third = try await client.post("/v1/completions", body)
            #expect(third.status == .tooManyRequests)
            #expect(third.headers[.retryAfter] != nil)
            #expect(third.error["code"] as? String == "queue_full")
            engine.openGate()
            #expect(try await first.status == .ok)
            #expect(try await second.status == .ok)
        }
    }

    @Test func shuttingDownIs503WithRetryAfter() async throws {
        let engine = ScriptedEngine()
        try await withServer(engine) { client in
            await engine.shutdown(cancelRunning: true)
            let r = try await client.post("/v1/completions", #"{"prompt": "hi"}"#)
            #expect(r.status == .serviceUnavailable)
            #expect(r.headers[.retryAfter] != nil)
            #expect(try await client.execute(uri: "/health", method: .get).status == .serviceUnavailable)
        }
    }
}
