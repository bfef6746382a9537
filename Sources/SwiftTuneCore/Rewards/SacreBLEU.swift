import Foundation

/// sacrebleu's sentence-level scores with their default settings (sacrebleu 2.x `sentence_bleu` and
/// `sentence_chrf`), over Unicode code points and Python's whitespace like sacrebleu.
///
/// BLEU: `13a` tokenization, n-grams of orders 1…4 clipped by the maximum count over the references, the
/// reference length closest to the hypothesis (the shorter on ties), `exp` smoothing (the k-th order with no match
/// gets precision 100 / (2ᵏ · total), k counting such orders) and effective order (orders with no hypothesis
/// n-gram left out of the geometric mean), brevity penalty e^(1 − r/c) when c < r:
///
///     BLEU = BP · exp( (1/N) Σₙ log pₙ ),   pₙ = 100 · matchₙ / totalₙ      (0 when nothing matches)
///
/// chrF: character n-grams of orders 1…6 with whitespace removed, β = 2, precision and recall averaged over the
/// orders where both hypothesis and reference have n-grams, F_β = (1 + β²)·P·R / (β²·P + R) · 100; with several
/// references the one with the best F.
public enum SacreBLEU {
    /// `sacrebleu.sentence_bleu(hypothesis, references).score`, in [0, 100].
    public static func sentenceBLEU(_ hypothesis: String, references: [String]) -> Double {
        let maxOrder = 4
        var refCounts: [[[UInt32]]: Int] = [:]
        var refLengths: [Int] = []
        for ref in references {
            let tokens = PythonText.split(tokenize13a(PythonText.rstrip(ref)))
            refLengths.append(tokens.count)
            for (gram, count) in wordNGrams(tokens, maxOrder: maxOrder) { refCounts[gram] = Swift.max(refCounts[gram] ?? 0, count) }
        }
        let hyp = PythonText.split(tokenize13a(PythonText.rstrip(hypothesis)))
        let c = hyp.count
        var r = -1, closest = -1
        for length in refLengths {
            let diff = Swift.abs(c - length)
            if closest == -1 || diff < closest { closest = diff; r = length } else if diff == closest, length < r { r = length }
        }
        var correct = [Int](repeating: 0, count: maxOrder), total = correct
        for (gram, count) in wordNGrams(hyp, maxOrder: maxOrder) {
            total[gram.count - 1] += count
            if let refCount = refCounts[gram] { correct[gram.count - 1] += Swift.min(count, refCount) }
        }
        var bp = 1.0
        if c < r { bp = c > 0 ? Foundation.exp(1 - Double(r) / Double(c)) : 0 }
        guard correct.contains(where: { $0 > 0 }) else { return 0 }
        var precisions = [Double](repeating: 0, count: maxOrder)
        var smooth = 1.0, effectiveOrder = maxOrder
        for n in 1...maxOrder {
            if total[n - 1] == 0 { break }
            effectiveOrder = n
            if correct[n - 1] == 0 {
                smooth *= 2
                precisions[n - 1] = 100 / (smooth * Double(total[n - 1]))
            } else {
                precisions[n - 1] = 100 * Double(correct[n - 1]) / Double(total[n - 1])
            }
        }
        let logSum = precisions[..<effectiveOrder].reduce(0.0) { $0 + ($1 == 0 ? -9_999_999_999 : Foundation.log($1)) }
        return bp * Foundation.exp(logSum / Double(effectiveOrder))
    }

    /// `sacrebleu.sentence_chrf(hypothesis, references).score`, in [0, 100].
    public static func sentenceCHRF(_ hypothesis: String, references: [String]) -> Double {
        let order = 6
        let hyp = charNGrams(hypothesis, maxOrder: order)
        var best = -1.0, bestStats: [(Int, Int, Int)] = []
        for ref in references {
            let refGrams = charNGrams(ref, maxOrder: order)
            let stats = (0..<order).map { n -> (Int, Int, Int) in
                var match = 0, hypCount = 0
                for (gram, count) in hyp[n] {
                    hypCount += count
                    if let rc = refGrams[n][gram] { match += Swift.min(count, rc) }
                }
                return (refGrams[n].isEmpty ? 0 : hypCount, refGrams[n].values.reduce(0, +), match)
            }
            let f = fScore(stats)
            if f > best { best = f; bestStats = stats }
        }
        return bestStats.isEmpty ? 0 : fScore(bestStats)
    }

    static func fScore(_ stats: [(Int, Int, Int)], beta: Double = 2) -> Double {
        let factor = beta * beta
        var precision = 0.0, recall = 0.0, effective = 0
        for (nHyp, nRef, nMatch) in stats where nHyp > 0 && nRef > 0 {
            precision += Double(nMatch) / Double(nHyp)
            recall += Double(nMatch) / Double(nRef)
            effective += 1
        }
        if effective == 0 { precision = 0; recall = 0 } else { precision /= Double(effective); recall /= Double(effective) }
        guard precision + recall != 0 else { return 0 }
        return 100 * (1 + factor) * precision * recall / (factor * precision + recall)
    }

    /// Word n-gram counts; tokens as code-point arrays, so that canonically equivalent but different strings
    /// stay different n-grams as in Python.
    static func wordNGrams(_ words: [String], maxOrder: Int) -> [[[UInt32]]: Int] {
        let tokens = words.map { $0.unicodeScalars.map(\.value) }
        var counts: [[[UInt32]]: Int] = [:]
        for n in 1...maxOrder where tokens.count >= n {
            for i in 0...(tokens.count - n) { counts[Array(tokens[i..<(i + n)]), default: 0] += 1 }
        }
        return counts
    }

    static func charNGrams(_ line: String, maxOrder: Int) -> [[[Unicode.Scalar]: Int]] {
        let scalars = Array(line.unicodeScalars.filter { !PythonText.isSpace($0) })
        return (1...maxOrder).map { n in
            var counts: [[Unicode.Scalar]: Int] = [:]
            if scalars.count >= n { for i in 0...(scalars.count - n) { counts[Array(scalars[i..<(i + n)]), default: 0] += 1 } }
            return counts
        }
    }
}
