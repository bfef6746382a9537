import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import SwiftTuneCore
import Testing
@testable import SwiftTuneServer

/// The server live on port 0 (loopback), driven by concurrent HTTP clients. Every loop is bounded.
@Suite(.serialized) struct LiveServerTests {
    /// Runs `body` with the live server's base URL; the engine is shut down afterwards.
    static func live<Value: Sendable>(_ engine: BatchingEngine,
                                      _ body: @Sendable (String) async throws -> Value) async throws -> Value {
        let app = Application(router: EngineFixtures.server(engine).makeRouter(),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let value = try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(try #require(client.port))")
        }
        await engine.shutdown(cancelRunning: true)
        return value
    }

    static func request(_ url: String, _ json: String) -> HTTPClientRequest {
        var r = HTTPClientRequest(url: url)
        r.method = .POST
        r.headers.add(name: "Content-Type", value: "application/json")
        r.body = .bytes(ByteBuffer(string: json))
        return r
    }

    /// A streamed chat: the concatenated content and every token's log-probability.
    static func stream(_ base: String, model: String, seed: Int, content: String) async throws -> (text: String, logprobs: [Double]) {
        let body = #"{"model": "\#(model)", "messages": [{"role": "user", "content": "\#(content)"}], "max_tokens": 16, "temperature": 0.9, "seed": \#(seed), "stream": true, "logprobs": true, "ignore_eos": true}"#
        let response = try await HTTPClient.shared.execute(request(base + "/v1/chat/completions", body), timeout: .seconds(120))
        #expect(response.status == .ok)
        var raw = ""
        for try await buffer in response.body { raw += String(buffer: buffer) }
        var text = "", logprobs: [Double] = []
        for event in raw.components(separatedBy: "\n\n") where event.hasPrefix("data: {") {
            let choice = (parse(String(event.dropFirst(6)))["choices"] as? [[String: Any]])?.first ?? [:]
            text += (choice["delta"] as? [String: Any])?["content"] as? String ?? ""
            for entry in ((choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]]) ?? [] {
                logprobs.append(entry["logprob"] as? Double ?? .nan)
            }
        }
        #expect(raw.hasSuffix("data: [DONE]\n\n"))
        return (text, logprobs)
    }

    @Test func sixteenConcurrentStreamsGetExactlyWhatTheyGetAlone() async throws {
        let clients = (0..<16).map { i in (model: ["tiny", "alpha", "beta"][i % 3], seed: 100 + i, content: "request \(i)") }
        let engine = try EngineFixtures.engine(maxBatchSize: 8, maxQueue: 16)
        try await Self.live(engine) { base in
            var alone: [(text: String, logprobs: [Double])] = []
            for c in clients { alone.append(try await Self.stream(base, model: c.model, seed: c.seed, content: c.content)) }
            let together = try await withThrowingTaskGroup(of: (Int, (text: String, logprobs: [Double])).self) { group in
                for (i, c) in clients.enumerated() {
                    group.addTask { (i, try await Self.stream(base, model: c.model, seed: c.seed, content: c.content)) }
                }
                var out = [(text: String, logprobs: [Double])?](repeating: nil, count: clients.count)
                for try await (i, result) in group { out[i] = result }
                return out.map { $0! }
            }
            for i in clients.indices {
                #expect(together[i].text == alone[i].text, "client \(i)")
                #expect(together[i].logprobs == alone[i].logprobs, "client \(i)")
                #expect(alone[i].logprobs.count == 16)
            }
            #expect(Set(alone.map(\.text)).count > 8)   // seeds and adapters differ
        }
    }

    /// Waits (bounded: at most `limit` polls of 10 ms) until `condition` holds.
    static func eventually(_ limit: Int = 2000, _ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<limit {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test func aDisconnectMidStreamFreesItsRow() async throws {
        let engine = try EngineFixtures.engine(maxBatchSize: 2, maxQueue: 4, withAdapters: false)
        try await Self.live(engine) { base in
            let body = #"{"prompt": "the old wolf", "max_tokens": 240, "stream": true, "ignore_eos": true}"#
            let reader = Task {
                let response = try await HTTPClient.shared.execute(Self.request(base + "/v1/completions", body), timeout: .seconds(120))
                var chunks = 0
                for try await _ in response.body {
                    chunks += 1
                    if chunks == 3 { break }   // stop reading: the client goes away mid-stream
                }
                return chunks
            }
            #expect(try await reader.value == 3)
            #expect(try await Self.eventually { engine.status().runningRows == 0 }, "the row was not freed")
            // Cancelled, not finished: far fewer than the 240 tokens asked for were generated.
            let generated = engine.status().generatedTokens
            #expect(generated < 120, "\(generated) tokens generated after the client left at the third")
            // The freed rows serve the next request.
            let r = try await HTTPClient.shared.execute(Self.request(base + "/v1/completions", #"{"prompt": "a", "max_tokens": 2}"#),
                                                        timeout: .seconds(60))
            #expect(r.status == .ok)
        }
    }

    @Test func aFullQueueAnswers429() async throws {
        let engine = try EngineFixtures.engine(maxBatchSize: 1, maxQueue: 1, withAdapters: false)
        try await Self.live(engine) { base in
            let long = #"{"prompt": "the old wolf", "max_tokens": 200, "ignore_eos": true}"#
            let running = Task { try await HTTPClient.shared.execute(Self.request(base + "/v1/completions", long), timeout: .seconds(120)).status }
            #expect(try await Self.eventually { engine.status().runningRows == 1 })
            let waiting = Task { try await HTTPClient.shared.execute(Self.request(base + "/v1/completions", long), timeout: .seconds(120)).status }
            #expect(try await Self.eventually { engine.status().waiting == 1 })
            let refused = try await HTTPClient.shared.execute(Self.request(base + "/v1/completions", long), timeout: .seconds(60))
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers.first(name: "Retry-After") != nil)
            #expect(try await running.value == .ok)
            #expect(try await waiting.value == .ok)
        }
    }

    /// Resident memory of this process, from /proc/self/status.
    static func residentKB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    @Test func aThousandSequentialRequestsLeaveMemoryFlat() async throws {
        let engine = try EngineFixtures.engine(maxBatchSize: 2, maxQueue: 4, withAdapters: false)
        try await Self.live(engine) { base in
            func one(_ i: Int) async throws {
                let stream = i % 2 == 0
                let body = #"{"prompt": "the old wolf \#(i)", "max_tokens": 2, "stream": \#(stream), "seed": \#(i)}"#
                let r = try await HTTPClient.shared.execute(Self.request(base + "/v1/completions", body), timeout: .seconds(60))
                #expect(r.status == .ok)
                for try await _ in r.body {}
            }
            for i in 0..<200 { try await one(i) }
            let warm = Self.residentKB()
            for i in 200..<1000 { try await one(i) }
            let after = Self.residentKB()
            #expect(after - warm < max(8 * 1024, warm / 20), "RSS grew from \(warm) kB to \(after) kB over 800 requests")
        }
    }
}
