import Foundation

/// Text-generation metrics.
public enum TextMetrics {
    /// Fraction of predictions equal to their reference after trimming surrounding whitespace.
    public static func exactMatch(predictions: [String], references: [String]) -> Double {
        precondition(predictions.count == references.count, "\(predictions.count) predictions for \(references.count) references")
        guard !predictions.isEmpty else { return 0 }
        let hits = zip(predictions, references).filter {
            $0.trimmingCharacters(in: .whitespacesAndNewlines) == $1.trimmingCharacters(in: .whitespacesAndNewlines)
        }.count
        return Double(hits) / Double(predictions.count)
    }

    /// Corpus-level chrF (Popović 2015) as sacrebleu computes it by default: character n-grams of orders 1…6
    /// with whitespace removed, n-gram statistics summed over the corpus per order, precision and recall averaged
    /// over the orders, then F_β with β = 2. Returns a score in [0, 100].
    public static func chrF(predictions: [String], references: [String], order: Int = 6, beta: Double = 2) -> Double {
        precondition(predictions.count == references.count, "\(predictions.count) predictions for \(references.count) references")
        var matches = [Double](repeating: 0, count: order)
        var hypothesisTotal = [Double](repeating: 0, count: order)
        var referenceTotal = [Double](repeating: 0, count: order)
        for (p, r) in zip(predictions, references) {
            let hyp = Array(p.filter { !$0.isWhitespace }), ref = Array(r.filter { !$0.isWhitespace })
            for n in 1...order {
                let h = ngrams(hyp, n), g = ngrams(ref, n)
                hypothesisTotal[n - 1] += Double(h.values.reduce(0, +))
                referenceTotal[n - 1] += Double(g.values.reduce(0, +))
                for (gram, count) in h { matches[n - 1] += Double(min(count, g[gram] ?? 0)) }
            }
        }
        var precision = 0.0, recall = 0.0, effective = 0
        for n in 0..<order where hypothesisTotal[n] > 0 && referenceTotal[n] > 0 {
            precision += matches[n] / hypothesisTotal[n]
            recall += matches[n] / referenceTotal[n]
            effective += 1
        }
        guard effective > 0 else { return 0 }
        precision /= Double(effective)
        recall /= Double(effective)
        let b2 = beta * beta
        guard precision + recall > 0 else { return 0 }
        return 100 * (1 + b2) * precision * recall / (b2 * precision + recall)
    }

    private static func ngrams(_ chars: [Character], _ n: Int) -> [String: Int] {
        guard chars.count >= n else { return [:] }
        var counts: [String: Int] = [:]
        for i in 0...(chars.count - n) { counts[String(chars[i..<(i + n)]), default: 0] += 1 }
        return counts
    }
}
