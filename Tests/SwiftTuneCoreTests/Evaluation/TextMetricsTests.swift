import SwiftTuneCore
import Testing

@Suite("Text metrics")
struct TextMetricsTests {
    /// Values from sacrebleu 2.x `CHRF().corpus_score` (char order 6, word order 0, β 2).
    @Test func chrFMatchesSacrebleu() {
        let score = TextMetrics.chrF(predictions: ["kipo tupu riru", "the cat sat on teh mat", "abc"],
                                     references: ["kipo tupo riru", "the cat sat on the mat", "xyz"])
        #expect(Swift.abs(score - 65.53529614121028) < 1e-9, "chrF \(score)")
        #expect(TextMetrics.chrF(predictions: ["hello world"], references: ["hello world"]) == 100)
        #expect(TextMetrics.chrF(predictions: [""], references: ["abc"]) == 0)
    }

    @Test func exactMatchTrims() {
        #expect(TextMetrics.exactMatch(predictions: ["a b ", "c", "d"], references: ["a b", "x", "d"]) == 2.0 / 3.0)
    }
}
