import Foundation
@testable import SwiftTuneCore
import Testing

/// ``TokenSampler`` beyond the transformers fixtures: large vocabularies against a full-sort reference, ties, the
/// per-row stream and history, options checking, and inputs a server must survive.
@Suite("TokenSampler")
struct TokenSamplerTests {
    /// Gaussian logits from a fixed stream.
    static func logits(_ V: Int, scale: Float, seed: UInt64) -> [Float] {
        var g = RandomGenerator(seed: seed)
        return (0..<V).map { _ in
            let a = Double(g.next() >> 11) * 0x1p-53, b = Double(g.next() >> 11) * 0x1p-53
            return scale * Float((-2 * log(max(a, 1e-300))).squareRoot() * cos(2 * .pi * b))
        }
    }

    /// Steps 4–7 by sorting the whole vocabulary (the old `choose` algorithm, extended with min-p), kept ids
    /// increasing with renormalised probabilities.
    static func reference(_ z: [Float], _ o: SamplingOptions) -> [(token: Int, probability: Double)] {
        let t = o.temperature
        var order = z.indices.sorted { z[$0] > z[$1] || (z[$0] == z[$1] && $0 < $1) }
        if o.topK > 0 && o.topK < order.count {
            let threshold = z[order[o.topK - 1]]
            order = order.filter { z[$0] >= threshold }
        }
        let m = Double(z[order[0]])
        var w = order.map { exp((Double(z[$0]) - m) / t) }
        if o.topP < 1 {
            let total = w.reduce(0, +)
            var cumulative = 0.0, keep = w.count
            for (i, x) in w.enumerated() {
                cumulative += x
                if cumulative >= o.topP * total { keep = i + 1; break }
            }
            order.removeSubrange(keep...)
            w.removeSubrange(keep...)
        }
        if o.minP > 0 {
            let pairs = zip(order, w).filter { $0.1 >= o.minP * w[0] }
            order = pairs.map(\.0)
            w = pairs.map(\.1)
        }
        let total = w.reduce(0, +)
        return zip(order, w).map { ($0, $1 / total) }.sorted { $0.0 < $1.0 }
    }

    @Test(arguments: [
        SamplingOptions(temperature: 0.8, topK: 50),
        SamplingOptions(temperature: 0.8, topP: 0.9),
        SamplingOptions(temperature: 1.3, topP: 0.5),
        SamplingOptions(temperature: 0.8, topK: 2000, topP: 0.95),
        SamplingOptions(temperature: 1, minP: 0.05),
        SamplingOptions(temperature: 0.7, topK: 100, topP: 0.9, minP: 0.1),
    ])
    func largeVocabularyEqualsFullSort(options: SamplingOptions) throws {
        for (seed, scale) in [(UInt64(1), Float(1)), (2, 3), (3, 6)] {
            let z = Self.logits(49152, scale: scale, seed: seed)
            var s = try TokenSampler(options: options, prompt: [])
            let got = z.withUnsafeBufferPointer { s.keptDistribution($0) }
            let want = Self.reference(z, options)
            #expect(got.map(\.token) == want.map(\.token), "\(options) scale \(scale): \(got.count) vs \(want.count)")
            for (a, b) in zip(got, want) { #expect(abs(a.probability - b.probability) <= 1e-6 + 1e-4 * b.probability) }
        }
    }

    @Test func plainTemperatureDrawsByInverseCDFInIdOrder() throws {
        let z = Self.logits(5000, scale: 2, seed: 9)
        var s = try TokenSampler(options: SamplingOptions(temperature: 0.8), prompt: [])
        let p = Self.reference(z, SamplingOptions(temperature: 0.8))
        #expect(p.count == 5000)
        var cumulative = 0.0
        var expected: [(u: Double, token: Int)] = []
        for (token, q) in p {
            if token % 499 == 0 { expected.append((cumulative + q / 2, token)) }   // the middle of the token's interval
            cumulative += q
        }
        for (u, token) in expected {
            #expect(z.withUnsafeBufferPointer { s.choose($0, uniform: u) } == token)
        }
    }

    @Test func tiesKeepEveryTokenAtTheKthValueAndGreedyTakesTheLowestID() throws {
        let z: [Float] = [1, 3, 2, 3, 2, 2, 0]
        var k2 = try TokenSampler(options: SamplingOptions(temperature: 1, topK: 2), prompt: [])
        #expect(z.withUnsafeBufferPointer { k2.keptDistribution($0) }.map(\.token) == [1, 3])
        var k3 = try TokenSampler(options: SamplingOptions(temperature: 1, topK: 3), prompt: [])
        #expect(z.withUnsafeBufferPointer { k3.keptDistribution($0) }.map(\.token) == [1, 2, 3, 4, 5])   // ties at 2
        var greedy = try TokenSampler(options: .greedy, prompt: [])
        #expect(z.withUnsafeBufferPointer { greedy.sample($0) }.token == 1)
        // top-p among equal probabilities keeps the lower ids first
        var nucleus = try TokenSampler(options: SamplingOptions(temperature: 1, topP: 0.5), prompt: [])
        #expect([Float](repeating: 0, count: 8).withUnsafeBufferPointer { nucleus.keptDistribution($0) }.map(\.token)
            == [0, 1, 2, 3])
    }

    @Test func rowsAreIndependentAndReproducible() throws {
        let steps = (0..<40).map { Self.logits(300, scale: 2, seed: 100 + UInt64($0)) }
        let a = SamplingOptions(temperature: 0.9, topK: 40, topP: 0.95, frequencyPenalty: 0.5, seed: 7)
        let b = SamplingOptions(temperature: 1.2, minP: 0.02, presencePenalty: 1, seed: 8)
        func run(_ o: SamplingOptions, interleavedWith other: SamplingOptions?) throws -> [Int] {
            var s = try TokenSampler(options: o, prompt: [1, 2, 3])
            var t = try other.map { try TokenSampler(options: $0, prompt: [4]) }
            return steps.map { z in
                z.withUnsafeBufferPointer { p in
                    _ = t?.sample(p)
                    return s.sample(p).token
                }
            }
        }
        let alone = try run(a, interleavedWith: nil)
        #expect(try run(a, interleavedWith: b) == alone)
        #expect(try run(a, interleavedWith: a) == alone)
        #expect(try run(b, interleavedWith: nil) != alone)
        #expect(Set(alone).count > 5)
    }

    @Test func historyIsIncrementalAndPenalisesOnlyWhatItShould() throws {
        let z: [Float] = [5, 4.9, 4.8, 4.7, 0]
        // presence 2: each generated token drops below the others, so greedy walks through 0, 1, 2, 3
        var presence = try TokenSampler(options: SamplingOptions(presencePenalty: 2), prompt: [0, 1, 2])
        let tokens = (0..<4).map { _ in z.withUnsafeBufferPointer { presence.sample($0).token } }
        #expect(tokens == [0, 1, 2, 3])   // the prompt does not count for presence
        #expect(presence.generatedCounts == [0: 1, 1: 1, 2: 1, 3: 1])
        // repetition counts the prompt too
        var repetition = try TokenSampler(options: SamplingOptions(repetitionPenalty: 1.1), prompt: [0, 1, 2])
        #expect(z.withUnsafeBufferPointer { repetition.sample($0).token } == 3)
        #expect(repetition.seen == [0, 1, 2, 3])
        // frequency grows with the count: after token 0 twice, 5 − 2·0.06 < 4.9
        var frequency = try TokenSampler(options: SamplingOptions(frequencyPenalty: 0.06), prompt: [])
        let f = (0..<3).map { _ in z.withUnsafeBufferPointer { frequency.sample($0).token } }
        #expect(f == [0, 0, 1])
        // the log-prob is the raw one, whatever the penalties did
        var raw = try TokenSampler(options: SamplingOptions(presencePenalty: 2), prompt: [])
        _ = z.withUnsafeBufferPointer { raw.sample($0) }
        let second = z.withUnsafeBufferPointer { raw.sample($0, topLogprobs: 2) }
        let lse = log(z.reduce(Float(0)) { $0 + exp($1) })
        #expect(second.token == 1)
        #expect(abs(second.logprob - (z[1] - lse)) < 1e-5)
        #expect(second.topLogprobs.map(\.token) == [0, 1])
    }

    @Test func topLogprobsCountIsClamped() throws {
        var s = try TokenSampler(options: .greedy, prompt: [])
        let z: [Float] = [0, 2, 1]
        #expect(z.withUnsafeBufferPointer { s.sample($0, topLogprobs: 0) }.topLogprobs.isEmpty)
        #expect(z.withUnsafeBufferPointer { s.sample($0, topLogprobs: -3) }.topLogprobs.isEmpty)
        #expect(z.withUnsafeBufferPointer { s.sample($0, topLogprobs: 20) }.topLogprobs.map(\.token) == [1, 2, 0])
    }

    @Test func hostileLogitsNeverTrap() throws {
        let rows: [[Float]] = [
            [.nan, 1, .nan, 2], [.nan, .nan], [-.infinity, -.infinity, -.infinity], [1, .infinity, 3],
            [-.infinity, 0, -.infinity], [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0],
        ]
        for options in [SamplingOptions.greedy, SamplingOptions(temperature: 1), SamplingOptions(temperature: 1, topK: 1),
                        SamplingOptions(temperature: 0.5, topP: 0.5, minP: 0.5, repetitionPenalty: 2,
                                        presencePenalty: -2, frequencyPenalty: 2)] {
            var s = try TokenSampler(options: options, prompt: [0, 99, -5])
            for z in rows {
                let out = z.withUnsafeBufferPointer { s.sample($0, topLogprobs: 3) }
                #expect((0..<z.count).contains(out.token))
                #expect(!z[out.token].isNaN || z.allSatisfy(\.isNaN))
            }
        }
        var s = try TokenSampler(options: SamplingOptions(temperature: 1), prompt: [])
        #expect([Float]().withUnsafeBufferPointer { s.sample($0) } == SampledToken(token: 0, logprob: -.infinity))
        var nan = try TokenSampler(options: SamplingOptions(temperature: 1), prompt: [])
        let kept = [Float.nan, 1, .nan, 1].withUnsafeBufferPointer { nan.keptDistribution($0) }
        #expect(kept.filter { $0.probability > 0 }.map(\.token) == [1, 3])
    }

    @Test func optionsAreCheckedByName() {
        func name(_ o: SamplingOptions) -> String? {
            do { _ = try TokenSampler(options: o, prompt: []); return nil } catch {
                guard case let .invalidGenerationSetting(name, _, _)? = error as? ModelInputError else { return "?" }
                return name
            }
        }
        #expect(name(SamplingOptions(minP: -0.1)) == "min_p")
        #expect(name(SamplingOptions(minP: 1.5)) == "min_p")
        #expect(name(SamplingOptions(minP: .nan)) == "min_p")
        #expect(name(SamplingOptions(presencePenalty: 2.5)) == "presence_penalty")
        #expect(name(SamplingOptions(presencePenalty: .nan)) == "presence_penalty")
        #expect(name(SamplingOptions(frequencyPenalty: -2.01)) == "frequency_penalty")
        #expect(name(SamplingOptions(frequencyPenalty: .infinity)) == "frequency_penalty")
        #expect(name(SamplingOptions(temperature: -1)) == "temperature")
        #expect(name(SamplingOptions(minP: 1, presencePenalty: -2, frequencyPenalty: 2)) == nil)
    }

    @Test func oldJSONWithoutTheNewKeysStillDecodes() throws {
        let old = #"{"temperature":0.7,"topK":5,"topP":0.9,"repetitionPenalty":1.1,"seed":3}"#
        let o = try JSONDecoder().decode(SamplingOptions.self, from: Data(old.utf8))
        #expect(o == SamplingOptions(temperature: 0.7, topK: 5, topP: 0.9, repetitionPenalty: 1.1, seed: 3))
        let full = SamplingOptions(temperature: 1, topK: 2, topP: 0.5, minP: 0.1, repetitionPenalty: 1.2,
                                   presencePenalty: -1, frequencyPenalty: 0.5, seed: 9)
        #expect(try JSONDecoder().decode(SamplingOptions.self, from: JSONEncoder().encode(full)) == full)
    }
}
