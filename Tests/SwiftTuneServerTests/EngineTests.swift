import Foundation
import Hummingbird
import HummingbirdTesting
import SwiftTuneCore
import Testing
@testable import SwiftTuneServer

/// The real engine behind the HTTP layer, in-process (HummingbirdTesting's router client).
@Suite(.serialized) struct EngineTests {
    static func run<Value: Sendable>(_ engine: BatchingEngine,
                                     _ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let value = try await Application(router: EngineFixtures.server(engine).makeRouter()).test(.router, body)
        await engine.shutdown(cancelRunning: true)
        return value
    }

    static func content(_ r: TestResponse) -> (text: String, finish: String?) {
        let choice = (r.object["choices"] as? [[String: Any]])?.first ?? [:]
        return ((choice["message"] as? [String: Any])?["content"] as? String ?? (choice["text"] as? String ?? "<none>"),
                choice["finish_reason"] as? String)
    }

    @Test func greedyEqualsGenerateAsInfer() async throws {
        let prompt = try PromptBuilder(tokenizer: Embedded.tokenizer).chat([.user("Translate: good morning")])
        let model = try ModelFolder(Embedded.modelFolder).load(Float.self)
        var stops = Set(model.configuration.endOfSequenceTokenIDs)
        if let eos = Embedded.tokenizer.eosTokenID { stops.insert(eos) }
        let ids = try model.generate(prompts: [prompt], maxNewTokens: 20, sampling: .greedy, stopTokens: stops)[0]
        let expected = Embedded.tokenizer.decode(ids.filter { !stops.contains($0) }, skipSpecialTokens: true)
        let r = try await Self.run(try EngineFixtures.engine()) { client in
            try await client.post("/v1/chat/completions",
                                  #"{"messages": [{"role": "user", "content": "Translate: good morning"}], "max_tokens": 20, "temperature": 0}"#)
        }
        #expect(Self.content(r).text == expected)
        #expect(Self.content(r).finish == (ids.count < 20 || stops.contains(ids.last!) ? "stop" : "length"))
        #expect((r.object["usage"] as? [String: Int])?["completion_tokens"] == ids.count)
    }

    @Test func stopStringsEndTheChoiceAndAreLeftOut() async throws {
        try await Self.run(try EngineFixtures.engine()) { client in
            let body = #"{"prompt": "the old wolf", "max_tokens": 24, "temperature": 0, "ignore_eos": true"#
            let full = Self.content(try await client.post("/v1/completions", body + "}")).text
            #expect(full.count > 12)
            let stop = String(full.dropFirst(6).prefix(4))
            let cut = try #require(full.range(of: stop))
            for stream in [false, true] {
                let r = try await client.post("/v1/completions", body + #", "stop": ["zzzq", "\#(stop)"], "stream": \#(stream)}"#)
                if stream {
                    let chunks = r.events.dropLast().map { (parse($0)["choices"] as? [[String: Any]])?.first ?? [:] }
                    #expect(chunks.compactMap { $0["text"] as? String }.joined() == String(full[..<cut.lowerBound]))
                    #expect(chunks.last?["finish_reason"] as? String == "stop")
                } else {
                    #expect(Self.content(r).text == String(full[..<cut.lowerBound]))
                    #expect(Self.content(r).finish == "stop")
                }
            }
        }
    }

    @Test func choicesAreSeededRowsAndAdaptersChangeTheOutput() async throws {
        try await Self.run(try EngineFixtures.engine()) { client in
            func texts(_ extra: String) async throws -> [String] {
                let r = try await client.post("/v1/completions", #"{"prompt": "the old wolf", "max_tokens": 12, "temperature": 1, "ignore_eos": true, \#(extra)}"#)
                return ((r.object["choices"] as? [[String: Any]]) ?? []).map { $0["text"] as? String ?? "" }
            }
            let three = try await texts(#""n": 3, "seed": 5"#)
            #expect(three.count == 3)
            #expect(try await texts(#""seed": 5"#) == [three[0]])
            #expect(try await texts(#""seed": 6"#) == [three[1]])
            #expect(Set(three).count > 1)
            let alpha = try await texts(#""seed": 5, "model": "alpha""#)
            let beta = try await texts(#""seed": 5, "model": "beta""#)
            #expect(alpha != [three[0]] && beta != alpha)
        }
    }

    @Test func logprobsAreTheRawLogSoftmax() async throws {
        let r = try await Self.run(try EngineFixtures.engine()) { client in
            try await client.post("/v1/completions", #"{"prompt": "the old wolf", "max_tokens": 1, "temperature": 0, "logprobs": 3}"#)
        }
        let lp = try #require(((r.object["choices"] as? [[String: Any]])?.first?["logprobs"]) as? [String: Any])
        let first = try #require((lp["token_logprobs"] as? [Double])?.first)
        let top = try #require((lp["top_logprobs"] as? [[String: Double]])?.first)
        #expect(first <= 0 && top.values.max() == first)   // greedy: the chosen token is the most likely
        #expect(top.count <= 3 && !top.isEmpty)
    }
}
