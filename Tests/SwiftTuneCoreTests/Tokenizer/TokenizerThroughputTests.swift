import Foundation
import SwiftTuneCore
import Testing

/// Encode speed on a few hundred KB of mixed text. Opt-in (it times, it does not check), best in release:
///
///     SWIFTTUNE_TOKENIZER_BENCH=1 swift test -c release --filter TokenizerThroughput
@Suite("Tokenizer throughput", .enabled(if: ProcessInfo.processInfo.environment["SWIFTTUNE_TOKENIZER_BENCH"] != nil))
struct TokenizerThroughputTests {
    /// ~400 KB: the fixture strings plus seeded pseudo-words, so the word cache sees both repeats and misses.
    static func corpus() throws -> [String] {
        let base = try TokenizerFixture("qwen2").expected.cases.map(\.text)
        var generator = SystemRandomNumberGenerator.Seeded(seed: 42)
        let letters = Array("abcdefghijklmnopqrstuvwxyzéüß你好世界😀 \n\t.,;:'!?0123456789")
        var lines: [String] = []
        var bytes = 0
        while bytes < 400_000 {
            var line = base[Int(generator.next() % UInt64(base.count))] + " "
            for _ in 0..<40 { line.append(letters[Int(generator.next() % UInt64(letters.count))]) }
            bytes += line.utf8.count
            lines.append(line)
        }
        return lines
    }

    @Test(arguments: TokenizerFixture.names)
    func encodeThroughput(name: String) throws {
        let tokenizer = try TokenizerFixture(name).tokenizer
        let lines = try Self.corpus()
        let bytes = lines.reduce(0) { $0 + $1.utf8.count }
        for pass in ["cold", "warm"] {
            let start = Date()
            var tokens = 0
            for line in lines { tokens += tokenizer.encode(line).count }
            let seconds = Date().timeIntervalSince(start)
            print("\(name) \(pass): \(bytes) bytes, \(tokens) tokens in \(String(format: "%.3f", seconds)) s: "
                + "\(Int(Double(tokens) / seconds)) tokens/s, \(String(format: "%.1f", Double(bytes) / seconds / 1e6)) MB/s")
        }
    }
}

extension SystemRandomNumberGenerator {
    /// SplitMix64, for a reproducible corpus.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
