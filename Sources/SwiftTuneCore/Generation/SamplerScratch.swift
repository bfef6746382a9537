import CKernels
import Foundation

/// A ``TokenSampler``'s reusable buffers and the truncation steps 4–8 (temperature, top-k, top-p, min-p, draw)
/// over penalised scores `z` (`[V]`, no NaN).
///
/// After ``keep(_:options:)`` the kept tokens are either the whole vocabulary (`allVocabulary`, with `weights[i]`
/// the probability of token i, `i < count`) or the `count` ids in `ids`, increasing, with `weights[j]` the
/// unnormalised probability of `ids[j]`.
struct SamplerScratch: Sendable {
    /// Penalised logits, `[V]` (see ``TokenSampler/withScores(_:_:)``).
    var penalized: [Float] = []
    /// Probabilities over the vocabulary, or weights of `ids`.
    var weights: [Float] = []
    /// The kept ids, increasing (when `allVocabulary` is false).
    var ids: [Int32] = []
    /// Whether every token is kept (plain temperature sampling).
    var allVocabulary = true
    /// The number of kept tokens (valid entries of `weights`, and of `ids` unless `allVocabulary`).
    var count = 0
    /// (weight, id) pairs of the top-p candidates.
    var nucleus: [TopHeap.Entry] = []

    /// Steps 4–7. Returns false when the scores' maximum is not finite (the caller then takes the argmax).
    mutating func keep(_ z: UnsafeBufferPointer<Float>, options: SamplingOptions) -> Bool {
        let V = z.count
        let T = Float(options.temperature)
        if options.topK > 0 && options.topK < V {
            var heap = TopHeap(capacity: options.topK)
            for i in 0..<V { heap.offer(z[i], id: Int32(i)) }
            guard let threshold = heap.worst?.value, let best = heap.sortedBestFirst().first?.value,
                  best.isFinite else { return false }
            ids.removeAll(keepingCapacity: true)
            weights.removeAll(keepingCapacity: true)
            let top = best / T
            for i in 0..<V where z[i] >= threshold {
                ids.append(Int32(i))
                weights.append(expf(z[i] / T - top))
            }
            count = ids.count
            allVocabulary = false
        } else {
            guard let base = z.baseAddress else { return false }
            let m = TokenSampler.maximum(z)
            guard m.isFinite else { return false }
            if weights.count < V { weights = [Float](repeating: 0, count: V) }
            weights.withUnsafeMutableBufferPointer { w in st_softmax_forward_f32(w.baseAddress!, base, 1, Int64(V), 1 / T) }
            count = V
            allVocabulary = true
        }
        if options.topP < 1 { keepNucleus(topP: options.topP) }
        if options.minP > 0 { keepAboveMinP(Float(options.minP)) }
        return true
    }

    /// Step 6. The candidates' total mass `W`; a histogram of mass per float exponent (buckets of a factor 2)
    /// finds the highest exponent `e*` whose buckets at and above hold ≥ p·W; only candidates with exponent ≥ `e*`
    /// are sorted (descending weight, then increasing id), and the first of them whose running mass reaches p·W
    /// is the last kept.
    mutating func keepNucleus(topP: Double) {
        let n = count
        var mass = [Double](repeating: 0, count: 256)
        var total = 0.0
        weights.withUnsafeBufferPointer { w in
            for j in 0..<n {
                let x = w[j]
                mass[Int(x.bitPattern >> 23) & 0xFF] += Double(x)
                total += Double(x)
            }
        }
        let target = topP * total
        var floor = 0
        var cumulative = 0.0
        for e in stride(from: 255, through: 0, by: -1) {
            cumulative += mass[e]
            if cumulative >= target { floor = e; break }
        }
        nucleus.removeAll(keepingCapacity: true)
        weights.withUnsafeBufferPointer { w in
            for j in 0..<n where Int(w[j].bitPattern >> 23) & 0xFF >= floor {
                nucleus.append(TopHeap.Entry(value: w[j], id: allVocabulary ? Int32(j) : ids[j]))
            }
        }
        nucleus.sort { TopHeap.worse($1, $0) }
        var keep = nucleus.count
        cumulative = 0
        for (r, e) in nucleus.enumerated() {
            cumulative += Double(e.value)
            if cumulative >= target { keep = r + 1; break }
        }
        nucleus.removeSubrange(keep...)
        nucleus.sort { $0.id < $1.id }
        ids.removeAll(keepingCapacity: true)
        weights.removeAll(keepingCapacity: true)
        for e in nucleus {
            ids.append(e.id)
            weights.append(e.value)
        }
        count = ids.count
        allVocabulary = false
    }

    /// Step 7: keeps the candidates with weight ≥ `minP` · the largest weight (transformers' `MinPLogitsWarper`;
    /// the ratio does not depend on the normalisation).
    mutating func keepAboveMinP(_ minP: Float) {
        let n = count
        let all = allVocabulary
        if all { ids.removeAll(keepingCapacity: true) }
        var m = 0
        weights.withUnsafeMutableBufferPointer { w in
            var largest: Float = 0
            for j in 0..<n where w[j] > largest { largest = w[j] }
            let threshold = minP * largest
            for j in 0..<n where w[j] >= threshold {
                if all { ids.append(Int32(j)) } else { ids[m] = ids[j] }
                w[m] = w[j]
                m += 1
            }
        }
        if !all { ids.removeSubrange(m...) }
        count = m
        allVocabulary = false
    }

    /// Step 8: the first kept token, in increasing id order, whose cumulative weight exceeds `u · W` (W the kept
    /// total); rounding that leaves no such token gives the last kept token with a positive weight.
    func draw(uniform u: Double) -> Int {
        let n = count
        let j = weights.withUnsafeBufferPointer { w -> Int in
            var total = 0.0
            for j in 0..<n { total += Double(w[j]) }
            let target = u * total
            var cumulative = 0.0
            var last = 0
            for j in 0..<n where w[j] > 0 {
                cumulative += Double(w[j])
                last = j
                if cumulative > target { break }
            }
            return last
        }
        return allVocabulary ? j : Int(ids[j])
    }

    /// The kept tokens and their renormalised probabilities, increasing id (after ``keep(_:options:)``).
    func keptDistribution() -> [(token: Int, probability: Double)] {
        var total = 0.0
        for j in 0..<count { total += Double(weights[j]) }
        return (0..<count).map { j in (allVocabulary ? j : Int(ids[j]), Double(weights[j]) / total) }
    }
}
