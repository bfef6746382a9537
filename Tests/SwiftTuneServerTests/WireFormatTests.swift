import Foundation
import HummingbirdTesting
import Testing
@testable import SwiftTuneServer

@Suite struct WireFormatTests {
    let chatPrompt = try! PromptBuilder(tokenizer: Embedded.tokenizer).chat([.user("hi")])

    @Test func chatCompletionShapeAndUsage() async throws {
        let engine = ScriptedEngine()
        try await withServer(engine) { [chatPrompt] client in
            let r = try await client.post("/v1/chat/completions",
                                          #"{"model": "fr", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 3, "seed": 10}"#)
            #expect(r.status == .ok)
            let o = r.object
            #expect((o["id"] as? String)?.hasPrefix("chatcmpl-") == true)
            #expect(o["object"] as? String == "chat.completion")
            #expect(o["model"] as? String == "fr")
            #expect(o["created"] is Int)
            let choices = try #require(o["choices"] as? [[String: Any]])
            #expect(choices.count == 1)
            #expect(choices[0]["index"] as? Int == 0)
            #expect(choices[0]["message"] as? [String: String] == ["role": "assistant", "content": "t0t1t2"])
            #expect(choices[0]["finish_reason"] as? String == "length")
            #expect(choices[0]["logprobs"] is NSNull)
            #expect(o["usage"] as? [String: Int] == ["prompt_tokens": chatPrompt.count, "completion_tokens": 3,
                                                     "total_tokens": chatPrompt.count + 3])
        }
        let job = try #require(engine.jobs.first)
        #expect(job.adapter == "fr")
        #expect(job.prompt == chatPrompt)
        #expect(job.maxTokens == 3)
        #expect(job.parameters.seed == 10)
        #expect(job.stopTokens == [2])
    }

    @Test func maxTokensDefaultsAndNewerFieldWins() async throws {
        let engine = ScriptedEngine()
        try await withServer(engine) { client in
            _ = try await client.post("/v1/completions", #"{"prompt": [5, 6, 7, 8]}"#)
            _ = try await client.post("/v1/completions", #"{"prompt": [5], "max_tokens": 9, "max_completion_tokens": 4}"#)
            _ = try await client.post("/v1/completions", #"{"prompt": [5], "ignore_eos": true, "stop_token_ids": [7]}"#)
        }
        let jobs = engine.jobs
        #expect(jobs.map(\.maxTokens) == [60, 4, 63])   // 64 − prompt length when absent
        #expect(jobs[0].parameters.seed != nil && jobs[0].parameters.seed != jobs[1].parameters.seed)   // drawn
        #expect(jobs[2].stopTokens == [7])
    }

    @Test func stopTokenFinishesWithStop() async throws {
        try await withServer(ScriptedEngine()) { client in
            // Seed 2: the first token is id 2, the end-of-sequence token.
            let r = try await client.post("/v1/completions", #"{"prompt": "hi", "max_tokens": 5, "seed": 2}"#)
            let choice = try #require((r.object["choices"] as? [[String: Any]])?.first)
            #expect(choice["finish_reason"] as? String == "stop")
            #expect((r.object["usage"] as? [String: Int])?["completion_tokens"] == 1)
        }
    }

    @Test func severalChoicesHaveTheirOwnSeedsAndIndices() async throws {
        let engine = ScriptedEngine()
        try await withServer(engine) { client in
            let r = try await client.post("/v1/chat/completions",
                                          #"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2, "n": 3, "seed": 7}"#)
            let choices = try #require(r.object["choices"] as? [[String: Any]])
            #expect(choices.map { $0["index"] as? Int } == [0, 1, 2])
            #expect((r.object["usage"] as? [String: Int])?["completion_tokens"] == 6)
        }
        let job = try #require(engine.jobs.first)
        #expect((0..<3).map(job.seed(ofChoice:)) == [7, 8, 9])
    }

    @Test func chatLogprobsShape() async throws {
        try await withServer(ScriptedEngine()) { client in
            let r = try await client.post("/v1/chat/completions", #"""
                {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2, "seed": 100, "logprobs": true, "top_logprobs": 1}
                """#)
            let choice = try #require((r.object["choices"] as? [[String: Any]])?.first)
            let content = try #require((choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]])
            #expect(content.count == 2)
            let tok = Embedded.tokenizer.decode([100], skipSpecialTokens: false)
            #expect(content[0]["token"] as? String == tok)
            #expect(content[0]["bytes"] as? [Int] == tok.utf8.map(Int.init))
            #expect(abs((content[0]["logprob"] as? Double ?? 0) + 0.1) < 1e-6)
            #expect(abs((content[1]["logprob"] as? Double ?? 0) + 0.2) < 1e-6)
            let top = try #require(content[0]["top_logprobs"] as? [[String: Any]])
            #expect(top.count == 1)
            #expect(top[0]["token"] as? String == tok)
        }
    }

    @Test func completionLogprobsAndEcho() async throws {
        try await withServer(ScriptedEngine()) { client in
            let r = try await client.post("/v1/completions", #"{"prompt": "hi", "max_tokens": 2, "seed": 100, "logprobs": 2}"#)
            let choice = try #require((r.object["choices"] as? [[String: Any]])?.first)
            #expect(r.object["object"] as? String == "text_completion")
            #expect(choice["text"] as? String == "t0t1")
            let lp = try #require(choice["logprobs"] as? [String: Any])
            let tokens = [100, 103].map { Embedded.tokenizer.decode([$0], skipSpecialTokens: false) }
            #expect(lp["tokens"] as? [String] == tokens)
            #expect(lp["text_offset"] as? [Int] == [0, tokens[0].count])
            #expect((lp["token_logprobs"] as? [Double])?.count == 2)
            // A dict per token (alternatives whose text is the same collapse, as in vLLM): the chosen one is there.
            let top = try #require((lp["top_logprobs"] as? [[String: Double]])?.first)
            #expect(top.count >= 1 && top.count <= 2)
            #expect(abs((top[tokens[0]] ?? 0) + 0.1) < 1e-6)
            let echoed = try await client.post("/v1/completions", #"{"prompt": "hi", "max_tokens": 1, "echo": true}"#)
            #expect(((echoed.object["choices"] as? [[String: Any]])?.first?["text"] as? String) == "hit0")
        }
    }

    @Test func chatStreamFraming() async throws {
        try await withServer(ScriptedEngine()) { client in
            let r = try await client.post("/v1/chat/completions", #"""
                {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 3, "stream": true, "stream_options": {"include_usage": true}}
                """#)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "text/event-stream")
            let events = r.events
            #expect(events.count == 6)   // role, three deltas, usage, [DONE]
            #expect(events.last == "[DONE]")
            let chunks = events.dropLast().map(parse)
            #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
            #expect(Set(chunks.compactMap { $0["id"] as? String }).count == 1)
            let role = try #require((chunks[0]["choices"] as? [[String: Any]])?.first)
            #expect(role["delta"] as? [String: String] == ["role": "assistant", "content": ""])
            #expect(role["finish_reason"] is NSNull)
            let deltas = chunks[1...3].map { ($0["choices"] as? [[String: Any]])?.first ?? [:] }
            #expect(deltas.map { ($0["delta"] as? [String: Any])?["content"] as? String } == ["t0", "t1", "t2"])
            #expect(deltas.map { $0["finish_reason"] as? String } == [nil, nil, "length"])
            #expect(chunks[1]["usage"] == nil)
            let usage = chunks[4]
            #expect((usage["choices"] as? [Any])?.isEmpty == true)
            #expect((usage["usage"] as? [String: Int])?["completion_tokens"] == 3)
        }
    }

    @Test func completionStreamWithoutUsage() async throws {
        try await withServer(ScriptedEngine()) { client in
            let r = try await client.post("/v1/completions", #"{"prompt": "hi", "max_tokens": 2, "stream": true, "n": 2}"#)
            let events = r.events
            #expect(events.count == 5)
            #expect(events.last == "[DONE]")
            let choices = events.dropLast().map { (parse($0)["choices"] as? [[String: Any]])?.first ?? [:] }
            #expect(choices.map { $0["index"] as? Int } == [0, 1, 0, 1])
            #expect(choices.map { $0["text"] as? String } == ["t0", "t0", "t1", "t1"])
        }
    }

    @Test func anErrorAfterTheStreamStartedIsAnErrorEvent() async throws {
        try await withServer(ScriptedEngine(failAfter: 2)) { client in
            let r = try await client.post("/v1/chat/completions",
                                          #"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5, "stream": true}"#)
            #expect(r.status == .ok)
            let events = r.events
            #expect(events.count == 5)
            #expect(events.last == "[DONE]")
            let error = try #require(parse(events[3])["error"] as? [String: Any])
            #expect(error["type"] as? String == "server_error")
            #expect(error["message"] as? String == "scripted failure")
        }
    }
}
