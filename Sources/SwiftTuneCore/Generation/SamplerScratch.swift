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
    /// Top-p: the candidates in the boundary bucket.
    var boundary: [TopHeap.Entry] = []
    /// The draw: sums of blocks of `drawBlock` weights.
    var blockSums: [Float] = []
    static let drawBlock = 1024

    /// Steps 4–7. Returns false when the scores' maximum is not finite (the caller then takes the argmax).
    mutating func keep(_ z: UnsafeBufferPointer<Float>, options: SamplingOptions) -> Bool {
        let V = z.count
        let T = Float(options.temperature)
        if options.topK > 0 && options.topK < V {
            var heap = TopHeap(capacity: options.topK)
            heap.offerAll(z)
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
            guard let base = z.baseAddress, TokenSampler.maximum(z).isFinite else { return false }
            if weights.count < V { weights = [Float](repeating: 0, count: V) }
            weights.withUnsafeMutableBufferPointer { w in
                Kernels.softmaxForward(w.baseAddress!, base, rows: 1, columns: V, scale: 1 / T)
            }
            count = V
            allVocabulary = true
        }
        if options.topP < 1 { keepNucleus(topP: options.topP) }
        if options.minP > 0 { keepAboveMinP(Float(options.minP)) }
        return true
    }

    /// The bucket, from the top, where the running mass (starting at `above`) reaches `target`, and the mass of the
    /// buckets above it; the lowest non-empty bucket if rounding keeps the target out of reach.
    static func boundaryBucket(_ mass: [Double], above: Double, target: Double) -> (bucket: Int, above: Double) {
        var above = above
        var lowest = 255
        for b in stride(from: 255, through: 0, by: -1) where mass[b] > 0 {
            if above + mass[b] >= target { return (b, above) }
            above += mass[b]
            lowest = b
        }
        return (lowest, above - mass[lowest])
    }

    /// Step 6. The kept tokens are those ranked (descending weight, then increasing id) at or above the cut: the
    /// first token whose running mass reaches p·W (W the candidates' total), the smallest such prefix. The cut is
    /// found by radix selection on the weights' bit patterns, which order like the weights: a histogram of mass
    /// per float exponent (8 bits) picks the boundary bucket, a second over its next 8 mantissa bits narrows it
    /// to a bucket 1/256 wide, and only that bucket is sorted. One more pass keeps the tokens, in id order.
    mutating func keepNucleus(topP: Double) {
        let n = count
        let all = allVocabulary
        var mass = [Double](repeating: 0, count: 256)
        weights.withUnsafeBufferPointer { w in
            for j in 0..<n { mass[Int(w[j].bitPattern >> 23) & 0xFF] += Double(w[j]) }
        }
        let total = mass.reduce(0, +)
        let target = topP * total
        let (high, aboveHigh) = Self.boundaryBucket(mass, above: 0, target: target)
        boundary.removeAll(keepingCapacity: true)
        weights.withUnsafeBufferPointer { w in
            for j in 0..<n where Int(w[j].bitPattern >> 23) & 0xFF == high {
                boundary.append(TopHeap.Entry(value: w[j], id: all ? Int32(j) : ids[j]))
            }
        }
        for b in 0..<256 { mass[b] = 0 }
        for e in boundary { mass[Int(e.value.bitPattern >> 15) & 0xFF] += Double(e.value) }
        let (low, aboveLow) = Self.boundaryBucket(mass, above: aboveHigh, target: target)
        var last = boundary.filter { Int($0.value.bitPattern >> 15) & 0xFF == low }
        last.sort { TopHeap.worse($1, $0) }
        guard var cut = last.last else { return }
        var cumulative = aboveLow
        for e in last {
            cumulative += Double(e.value)
            if cumulative >= target { cut = e; break }
        }
        if all { ids.removeAll(keepingCapacity: true) }
        var m = 0
        weights.withUnsafeMutableBufferPointer { w in
            for j in 0..<n {
                let id = all ? Int32(j) : ids[j]
                guard !TopHeap.worse(TopHeap.Entry(value: w[j], id: id), cut) else { continue }
                if all { ids.append(id) } else { ids[m] = id }
                w[m] = w[j]
                m += 1
            }
        }
        if !all { ids.removeSubrange(m...) }
        count = m
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
    /// total); rounding that leaves no such token gives the last kept token with a positive weight. Sums of blocks
    /// of 1024 weights (one vectorised reduction) let the walk skip to the right block.
    mutating func draw(uniform u: Double) -> Int {
        let n = count
        let B = Self.drawBlock
        let blocks = n / B
        if blockSums.count < blocks { blockSums = [Float](repeating: 0, count: blocks) }
        let j = weights.withUnsafeBufferPointer { w -> Int in
            guard let base = w.baseAddress, n > 0 else { return 0 }
            var total = 0.0
            if blocks > 0 {
                blockSums.withUnsafeMutableBufferPointer { s in
                    Kernels.reduce(s.baseAddress!, base, outer: blocks, n: B, inner: 1, .sum)
                }
                for b in 0..<blocks { total += Double(blockSums[b]) }
            }
            for j in (blocks * B)..<n { total += Double(w[j]) }
            let target = u * total
            var cumulative = 0.0
            var b = 0
            while b < blocks && cumulative + Double(blockSums[b]) <= target {
                cumulative += Double(blockSums[b])
                b += 1
            }
            for j in (b * B)..<n where w[j] > 0 {
                cumulative += Double(w[j])
                if cumulative > target { return j }
            }
            var last = n - 1
            while last > 0 && !(w[last] > 0) { last -= 1 }
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
