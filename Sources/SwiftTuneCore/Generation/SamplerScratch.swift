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
    /// Top-p: the most tokens the peaked-row fast path collects.
    static let fastPathLimit = 2048

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
    /// to a bucket 1/256 wide, and only that bucket is sorted. When the tokens within 2⁻¹⁰ of the largest weight (at most 2048 of them)
    /// already hold p·W (peaked rows), the histograms run over those alone. One more pass keeps the tokens, in id
    /// order.
    mutating func keepNucleus(topP: Double) {
        let n = count
        let all = allVocabulary
        var total = 0.0
        var largest: Float = 0
        weights.withUnsafeBufferPointer { w in
            if all, let base = w.baseAddress, n > 0 {
                var sum: Float = 0
                Kernels.reduce(&sum, base, outer: 1, n: n, inner: 1, .sum)
                Kernels.reduce(&largest, base, outer: 1, n: n, inner: 1, .max)
                total = Double(sum)
            } else {
                for j in 0..<n {
                    total += Double(w[j])
                    largest = max(largest, w[j])
                }
            }
        }
        let target = topP * total
        var found = boundary
        boundary = []
        defer { boundary = found }
        found.removeAll(keepingCapacity: true)
        // Fast path: the tokens within 2⁻¹⁰ of the largest weight, if they hold the target (abandoned once more
        // than `fastPathLimit` tokens qualify: the row is too flat for it to pay).
        let floor = largest * 0x1p-10
        var near = 0.0
        weights.withUnsafeBufferPointer { w in
            for j in 0..<n where w[j] >= floor {
                found.append(TopHeap.Entry(value: w[j], id: all ? Int32(j) : ids[j]))
                near += Double(w[j])
                if found.count > Self.fastPathLimit { near = 0; break }
            }
        }
        var high: (bucket: Int, above: Double)
        if near >= target {
            var mass = [Double](repeating: 0, count: 256)
            for e in found { mass[Int(e.value.bitPattern >> 23) & 0xFF] += Double(e.value) }
            high = Self.boundaryBucket(mass, above: 0, target: target)
            let key = UInt32(high.bucket) << 23
            found.removeAll { $0.value.bitPattern & 0x7F80_0000 != key }
        } else {
            let mass = exponentHistogram(count: n)
            high = Self.boundaryBucket(mass, above: 0, target: target)
            found.removeAll(keepingCapacity: true)
            weights.withUnsafeBufferPointer { w in
                let key = UInt32(high.bucket) << 23
                for j in 0..<n where w[j].bitPattern & 0x7F80_0000 == key {
                    found.append(TopHeap.Entry(value: w[j], id: all ? Int32(j) : ids[j]))
                }
            }
        }
        var mass = [Double](repeating: 0, count: 256)
        for e in found { mass[Int(e.value.bitPattern >> 15) & 0xFF] += Double(e.value) }
        let (low, aboveLow) = Self.boundaryBucket(mass, above: high.above, target: target)
        var last = found.filter { Int($0.value.bitPattern >> 15) & 0xFF == low }
        last.sort { TopHeap.worse($1, $0) }
        guard var cut = last.last else { return }
        var cumulative = aboveLow
        for e in last {
            cumulative += Double(e.value)
            if cumulative >= target { cut = e; break }
        }
        var kept = ids
        ids = []
        if all { kept.removeAll(keepingCapacity: true) }
        var m = 0
        weights.withUnsafeMutableBufferPointer { w in
            for j in 0..<n where w[j] >= cut.value {
                let id = all ? Int32(j) : kept[j]
                guard w[j] > cut.value || id <= cut.id else { continue }
                if all { kept.append(id) } else { kept[m] = id }
                w[m] = w[j]
                m += 1
            }
        }
        if !all { kept.removeSubrange(m...) }
        ids = kept
        count = m
        allVocabulary = false
    }

    /// Mass per float exponent (bits 30…23) of the first `count` weights, in four interleaved histograms so that
    /// runs of equal buckets do not chain their read-modify-writes.
    func exponentHistogram(count n: Int) -> [Double] {
        var lanes = [Double](repeating: 0, count: 4 * 256)
        weights.withUnsafeBufferPointer { w in
            lanes.withUnsafeMutableBufferPointer { m in
                var j = 0
                while j + 4 <= n {
                    m[Int(w[j].bitPattern >> 23) & 0xFF] += Double(w[j])
                    m[256 + Int(w[j + 1].bitPattern >> 23) & 0xFF] += Double(w[j + 1])
                    m[512 + Int(w[j + 2].bitPattern >> 23) & 0xFF] += Double(w[j + 2])
                    m[768 + Int(w[j + 3].bitPattern >> 23) & 0xFF] += Double(w[j + 3])
                    j += 4
                }
                while j < n {
                    m[Int(w[j].bitPattern >> 23) & 0xFF] += Double(w[j])
                    j += 1
                }
            }
        }
        var mass = [Double](repeating: 0, count: 256)
        for b in 0..<256 {
            let front: Double = lanes[b] + lanes[256 + b]
            let back: Double = lanes[512 + b] + lanes[768 + b]
            mass[b] = front + back
        }
        return mass
    }

    /// Step 7: keeps the candidates with weight ≥ `minP` · the largest weight (transformers' `MinPLogitsWarper`;
    /// the ratio does not depend on the normalisation).
    mutating func keepAboveMinP(_ minP: Float) {
        let n = count
        let all = allVocabulary
        var kept = ids
        ids = []
        if all { kept.removeAll(keepingCapacity: true) }
        var m = 0
        weights.withUnsafeMutableBufferPointer { w in
            var largest: Float = 0
            for j in 0..<n where w[j] > largest { largest = w[j] }
            let threshold = minP * largest
            for j in 0..<n where w[j] >= threshold {
                if all { kept.append(Int32(j)) } else { kept[m] = kept[j] }
                w[m] = w[j]
                m += 1
            }
        }
        if !all { kept.removeSubrange(m...) }
        ids = kept
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
        var sums = blockSums
        blockSums = []
        defer { blockSums = sums }
        let j = weights.withUnsafeBufferPointer { w -> Int in
            guard let base = w.baseAddress, n > 0 else { return 0 }
            var total = 0.0
            // One single-threaded reduction per block (a batched call would fan out to threads for little work).
            for b in 0..<blocks { Kernels.reduce(&sums[b], base + b * B, outer: 1, n: B, inner: 1, .sum) }
            for b in 0..<blocks { total += Double(sums[b]) }
            for j in (blocks * B)..<n { total += Double(w[j]) }
            let target = u * total
            var cumulative = 0.0
            var b = 0
            while b < blocks && cumulative + Double(sums[b]) <= target {
                cumulative += Double(sums[b])
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
