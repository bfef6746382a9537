import Foundation

extension TokenSampler {
    /// `log Σᵢ exp(zᵢ)` over the raw logits, NaN counted as −∞ (−∞ if every logit is; +∞ if one is +∞).
    static func logSumExp(_ z: UnsafeBufferPointer<Float>) -> Float {
        guard let base = z.baseAddress, !z.isEmpty else { return -.infinity }
        var out: Float = 0
        Kernels.reduce(&out, base, outer: 1, n: z.count, inner: 1, .logSumExp)
        if !out.isNaN { return out }
        var m = -Float.infinity
        for x in z where x > m { m = x }
        guard m.isFinite else { return m }
        var sum = 0.0
        for x in z where x > -.infinity { sum += Double(expf(x - m)) }
        return Float(Double(m) + log(sum))
    }

    /// The `count` largest raw logits as log-probabilities, best first (ties: lower id first), found with a
    /// `count`-element min-heap in one pass; `count` is clamped to `0...V`, NaN logits count as −∞.
    static func topLogprobs(_ z: UnsafeBufferPointer<Float>, count: Int, logSumExp: Float) -> [TokenLogprob] {
        let k = min(max(count, 0), z.count)
        guard k > 0 else { return [] }
        var heap = TopHeap(capacity: k)
        heap.offerAll(z)
        return heap.sortedBestFirst().map { TokenLogprob(token: Int($0.id), logprob: $0.value - logSumExp) }
    }
}
