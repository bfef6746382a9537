import Foundation
@testable import SwiftTuneCore
import Testing

/// ``TextStream`` with the real tokenizers of Fixtures/tokenizers: byte-level BPE (qwen2, llama3), byte fallback +
/// `Strip` (llama2) and byte fallback + Metaspace (metaspace).
@Suite("TextStream")
struct TextStreamTests {
    static let fixtures: [TokenizerFixture] = TokenizerFixture.names.compactMap { try? TokenizerFixture($0) }

    /// Streams `ids`, returning the deltas (the last one from `finish()`) and the stream.
    static func stream(_ ids: [Int], _ tokenizer: Tokenizer, stops: [String] = [],
                       skip: Bool = true) -> (deltas: [TextDelta], stream: TextStream) {
        var s = TextStream(tokenizer: tokenizer, stopStrings: stops, skipSpecialTokens: skip)
        var deltas = ids.map { s.append($0) }
        deltas.append(TextDelta(text: s.finish(), stopped: s.isStopped))
        return (deltas, s)
    }

    static func scalars(_ s: String) -> [Unicode.Scalar] { Array(s.unicodeScalars) }

    @Test func fixturesLoad() {
        #expect(Self.fixtures.count == 4)
    }

    @Test func deltasConcatenateToTheDecodedTextOfRandomIDs() {
        for f in Self.fixtures {
            var g = RandomGenerator(seed: 14)
            for trial in 0..<150 {
                let n = Int(g.next() % 40)
                let ids = (0..<n).map { _ in Int(g.next() % UInt64(f.tokenizer.vocabularySize + 2)) }   // a few out of range
                for skip in [true, false] {
                    let (deltas, s) = Self.stream(ids, f.tokenizer, skip: skip)
                    let joined = deltas.map(\.text).joined()
                    let expected = f.tokenizer.decode(ids, skipSpecialTokens: skip)
                    #expect(TokenizerFixture.same(joined, expected),
                            "\(f.name) trial \(trial) skip \(skip) \(ids): \(TokenizerFixture.scalars(joined)) vs \(TokenizerFixture.scalars(expected))")
                    #expect(TokenizerFixture.same(s.text, expected))
                    #expect(!deltas.contains { $0.stopped })
                }
            }
        }
    }

    @Test func multiByteCharactersAreNeverSplit() {
        var split = 0
        for f in Self.fixtures {
            for c in f.expected.cases {
                for skip in [true, false] {
                    let (deltas, _) = Self.stream(c.ids, f.tokenizer, skip: skip)
                    let expected = skip ? c.decodedSkipSpecial : c.decoded
                    #expect(TokenizerFixture.same(deltas.map(\.text).joined(), expected), "\(f.name): \(c.text)")
                    if !expected.unicodeScalars.contains("\u{FFFD}") {
                        #expect(!deltas.contains { $0.text.unicodeScalars.contains("\u{FFFD}") }, "\(f.name): \(c.text)")
                    }
                    split += deltas.filter { $0.text.isEmpty }.count
                }
            }
        }
        #expect(split > 20)   // characters spread over several byte tokens did occur (and were held back)
    }

    @Test func aCharacterSpreadOverByteTokensArrivesWhole() throws {
        var checked = 0
        for f in Self.fixtures {
            for text in ["你好", "🙂", "€"] {
                let ids = f.tokenizer.encode(text, addSpecialTokens: false)
                guard ids.count > 1, TokenizerFixture.same(f.tokenizer.decode(ids), text) else { continue }
                checked += 1
                let (deltas, _) = Self.stream(ids, f.tokenizer)
                let nonEmpty = deltas.filter { !$0.text.isEmpty }.map(\.text)
                #expect(nonEmpty.joined() == text, "\(f.name) \(text) \(ids)")
                #expect(nonEmpty.allSatisfy { $0.unicodeScalars.allSatisfy { s in text.unicodeScalars.contains(s) } })
                #expect(deltas[0].text.isEmpty || ids.count == 1 || text.unicodeScalars.count > 1, "\(f.name) \(text)")
            }
        }
        #expect(checked >= 6)
        // the emoji is a single 4-byte scalar, so in a byte-level tokenizer its first tokens give nothing
        let qwen = try #require(Self.fixtures.first { $0.name == "qwen2" })
        let ids = qwen.tokenizer.encode("🙂", addSpecialTokens: false)
        #expect(ids.count > 1)
        let (deltas, _) = Self.stream(ids, qwen.tokenizer)
        #expect(deltas.dropLast(2).allSatisfy { $0.text.isEmpty })
        #expect(deltas[ids.count - 1].text == "🙂")
    }

    /// The prefix of `text` before `stop`, streamed with `stop` as a stop string, for every tokenizer.
    func checkStop(_ text: String, stops: [String], expected: String) {
        var checked = 0
        for f in Self.fixtures {
            let ids = f.tokenizer.encode(text, addSpecialTokens: false)
            let decoded = f.tokenizer.decode(ids)
            guard decoded == text else { continue }   // the text round-trips in this tokenizer
            checked += 1
            let (deltas, s) = Self.stream(ids + ids, f.tokenizer, stops: stops)
            #expect(deltas.map(\.text).joined() == expected, "\(f.name) \(text) \(stops)")
            #expect(s.text == expected)
            #expect(s.isStopped)
            #expect(stops.contains(s.matchedStopString ?? ""))
            let first = deltas.firstIndex { $0.stopped }
            #expect(first != nil && deltas[(first ?? 0)...].allSatisfy { $0.stopped })
            #expect(deltas[(first ?? 0)...].dropFirst().allSatisfy { $0.text.isEmpty })
        }
        #expect(checked >= 2, "\(text): round-trips in \(checked) tokenizers")
    }

    @Test func stopStringsSpanningTokens() throws {
        checkStop("The answer is 42. Done now, ok", stops: ["42. Done"], expected: "The answer is ")
        checkStop("one two three four five", stops: ["o thr"], expected: "one tw")
        checkStop("你好，世界！今天天气很好。", stops: ["世界！今"], expected: "你好，")
        checkStop("emoji 🙂🙃 end", stops: ["🙂🙃"], expected: "emoji ")
        // the spanned tokens: at least two tokens in each byte-level tokenizer
        let qwen = try #require(Self.fixtures.first { $0.name == "qwen2" })
        let ids = qwen.tokenizer.encode("The answer is 42. Done now, ok", addSpecialTokens: false)
        var spanned = 0
        var s = TextStream(tokenizer: qwen.tokenizer, stopStrings: ["42. Done"])
        for id in ids {
            let d = s.append(id)
            if d.stopped { break }
            if d.text.isEmpty { spanned += 1 }
        }
        #expect(spanned >= 1)
    }

    @Test func stopStringAtTheVeryStart() {
        checkStop("Hello there", stops: ["Hello"], expected: "")
        checkStop("Hello there", stops: ["H"], expected: "")
    }

    @Test func overlappingStopStringsStopAtTheEarliest() {
        checkStop("xx abcdef yy", stops: ["cdef", "abc"], expected: "xx ")
        checkStop("xx abcdef yy", stops: ["bcd", "abcdz"], expected: "xx a")
        checkStop("aaab", stops: ["aab"], expected: "a")
        checkStop("xx abcabd", stops: ["abd"], expected: "xx abc")
    }

    @Test func heldBackTextIsTheLongestPartialStop() throws {
        let stops = ["abd", "bdx", "dd!"]
        for f in Self.fixtures {
            let ids = f.tokenizer.encode("zab abd", addSpecialTokens: false)
            guard f.tokenizer.decode(ids) == "zab abd" else { continue }
            var s = TextStream(tokenizer: f.tokenizer, stopStrings: stops)
            for n in 1...ids.count {
                let d = s.append(ids[n - 1])
                let sofar = Self.scalars(f.tokenizer.decode(Array(ids[..<n])))
                if d.stopped {
                    #expect(s.text == "zab ")
                    break
                }
                let hold = TextStream.longestPartialStop(stops.map(Self.scalars), suffixOf: sofar)
                #expect(Self.scalars(s.text) == Array(sofar.dropLast(hold)), "\(f.name) after \(n) tokens")
            }
            #expect(s.isStopped)
        }
        #expect(TextStream.longestPartialStop([Self.scalars("abd")], suffixOf: Self.scalars("xab")) == 2)
        #expect(TextStream.longestPartialStop([Self.scalars("abd")], suffixOf: Self.scalars("xabd")) == 0)  // full match is not partial
        #expect(TextStream.longestPartialStop([Self.scalars("aab")], suffixOf: Self.scalars("aaa")) == 2)
    }

    @Test func partialStopAtTheEndIsReleasedByFinish() {
        for f in Self.fixtures {
            let ids = f.tokenizer.encode("say abc", addSpecialTokens: false)
            guard f.tokenizer.decode(ids) == "say abc" else { continue }
            var s = TextStream(tokenizer: f.tokenizer, stopStrings: ["abcd"])
            let streamed = ids.map { s.append($0).text }.joined()
            #expect(streamed == "say ")
            #expect(s.finish() == "abc")
            #expect(s.text == "say abc")
            #expect(!s.isStopped)
            #expect(s.finish() == "")
            #expect(s.append(ids[0]) == TextDelta(text: "", stopped: false))
        }
    }

    @Test func specialTokensSkippedOrShown() throws {
        let qwen = try #require(Self.fixtures.first { $0.name == "qwen2" })
        let t = qwen.tokenizer
        let end = try #require(t.tokenToID("<|im_end|>"))
        let ids = t.encode("hi there", addSpecialTokens: false) + [end] + t.encode(" more", addSpecialTokens: false)
        #expect(Self.stream(ids, t).deltas.map(\.text).joined() == "hi there more")
        #expect(Self.stream(ids, t, skip: false).deltas.map(\.text).joined() == "hi there<|im_end|> more")
        // shown special tokens can match a stop string; skipped ones cannot
        let (shown, s) = Self.stream(ids, t, stops: ["<|im_end|>"], skip: false)
        #expect(shown.map(\.text).joined() == "hi there")
        #expect(s.matchedStopString == "<|im_end|>")
        #expect(!Self.stream(ids, t, stops: ["<|im_end|>"]).stream.isStopped)
    }

    @Test func emptyStopStringsAreIgnored() throws {
        let f = try #require(Self.fixtures.first)
        let ids = f.tokenizer.encode("abc", addSpecialTokens: false)
        let (deltas, s) = Self.stream(ids, f.tokenizer, stops: ["", "zz"])
        #expect(deltas.map(\.text).joined() == f.tokenizer.decode(ids))
        #expect(s.stopStrings == ["zz"])
    }
}
