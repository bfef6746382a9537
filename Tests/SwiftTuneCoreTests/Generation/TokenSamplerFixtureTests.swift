import Foundation
@testable import SwiftTuneCore
import Testing

/// ``TokenSampler`` against transformers' logits processors and vLLM's penalties, held to
/// Fixtures/sampling/token_sampling.json (Tools/generate_token_sampling_fixtures.py).
@Suite("TokenSamplerFixtures")
struct TokenSamplerFixtureTests {
    struct Options: Decodable {
        let temperature: Double
        let topK: Int
        let topP: Double
        let minP: Double
        let repetitionPenalty: Double
        let presence: Double
        let frequency: Double
        enum CodingKeys: String, CodingKey {
            case temperature, presence, frequency
            case topK = "top_k", topP = "top_p", minP = "min_p", repetitionPenalty = "repetition_penalty"
        }
        var sampling: SamplingOptions {
            SamplingOptions(temperature: temperature, topK: topK, topP: topP, minP: minP,
                            repetitionPenalty: repetitionPenalty, presencePenalty: presence, frequencyPenalty: frequency)
        }
    }
    struct Draw: Decodable { let u: Double; let token: Int }
    struct Top: Decodable { let token: Int; let logprob: Double }
    struct Case: Decodable {
        let vocabulary: Int
        let logits: [Double]
        let prompt: [Int]
        let generated: [Int]
        let options: Options
        let penalized: [String: Double]
        let kept: [Int]
        let probabilities: [Double]
        let draws: [Draw]
        let topLogprobs: [Top]
        enum CodingKeys: String, CodingKey {
            case vocabulary, logits, prompt, generated, options, penalized, kept, probabilities, draws
            case topLogprobs = "top_logprobs"
        }
        /// The float32 logits, rounded from the double the JSON holds (as torch does).
        var floats: [Float] { logits.map { Float($0) } }
    }
    struct File: Decodable { let format: String; let cases: [Case] }

    static let cases: [Case] = {
        guard let url = Bundle.module.url(forResource: "token_sampling", withExtension: "json",
                                          subdirectory: "Fixtures/sampling"),
              let data = try? Data(contentsOf: url),
              let file = try? JSONDecoder().decode(File.self, from: data) else { return [] }
        return file.cases
    }()

    /// A sampler for the case with its generated tokens recorded.
    static func sampler(_ c: Case) throws -> TokenSampler {
        var s = try TokenSampler(options: c.options.sampling, prompt: c.prompt)
        for t in c.generated { s.record(t) }
        return s
    }

    @Test func fixtureLoads() {
        #expect(Self.cases.count == 72)
        #expect(Self.cases.contains { $0.options.temperature > 0 && $0.kept.count > 1 && $0.kept.count < $0.vocabulary })
    }

    @Test func penaltiesEqualVLLM() throws {
        for (n, c) in Self.cases.enumerated() {
            let s = try Self.sampler(c)
            var z = c.floats
            z.withUnsafeMutableBufferPointer { s.applyPenalties($0) }
            let raw = c.floats
            for i in 0..<c.vocabulary {
                let expected = c.penalized[String(i)].map { Float($0) } ?? raw[i]
                #expect(z[i] == expected, "case \(n) token \(i): \(z[i]) vs \(expected)")
            }
        }
    }

    @Test func keptTokensAndProbabilitiesEqualTransformers() throws {
        for (n, c) in Self.cases.enumerated() where c.options.temperature > 0 {
            var s = try Self.sampler(c)
            let kept = c.floats.withUnsafeBufferPointer { s.keptDistribution($0) }
            #expect(kept.map(\.token) == c.kept, "case \(n) \(c.options)")
            guard kept.count == c.kept.count else { continue }
            for (got, want) in zip(kept.map(\.probability), c.probabilities) {
                #expect(abs(got - want) <= 2e-6 + 1e-5 * want, "case \(n): \(got) vs \(want)")
            }
        }
    }

    @Test func drawPicksTheDocumentedToken() throws {
        for (n, c) in Self.cases.enumerated() {
            var s = try Self.sampler(c)
            for d in c.draws {
                let token = c.floats.withUnsafeBufferPointer { s.choose($0, uniform: d.u) }
                #expect(token == d.token, "case \(n) u \(d.u) \(c.options)")
            }
        }
    }

    @Test func logprobsAreRawLogSoftmax() throws {
        for (n, c) in Self.cases.enumerated() {
            var s = try Self.sampler(c)
            let out = c.floats.withUnsafeBufferPointer { s.sample($0, topLogprobs: 5) }
            #expect(out.topLogprobs.map(\.token) == c.topLogprobs.map(\.token), "case \(n)")
            for (got, want) in zip(out.topLogprobs, c.topLogprobs) {
                #expect(abs(Double(got.logprob) - want.logprob) < 1e-5, "case \(n): \(got) vs \(want)")
            }
            let z = c.floats.map(Double.init)
            let m = z.max()!
            let lse = m + log(z.reduce(0) { $0 + exp($1 - m) })
            #expect(abs(Double(out.logprob) - (z[out.token] - lse)) < 1e-5, "case \(n)")
            #expect(s.generatedCount == c.generated.count + 1)
        }
    }
}
