import SwiftTuneCore
import Testing
import TestSupport

/// The tiled attention kernel against the dense reference and against running packed samples alone.
@Suite("Packed attention")
struct AttentionTests {
    struct Case: CustomStringConvertible, Sendable {
        var heads: Int, kvHeads: Int, headDim: Int
        var segments: [[Int]]
        var length: Int
        var window = 0
        var description: String { "H\(heads)/KV\(kvHeads) D\(headDim) T\(length) \(segments) w\(window)" }
    }

    static let cases: [Case] = [
        Case(heads: 2, kvHeads: 2, headDim: 8, segments: [[5]], length: 5),
        Case(heads: 9, kvHeads: 3, headDim: 7, segments: [[37]], length: 37),
        Case(heads: 4, kvHeads: 1, headDim: 33, segments: [[20, 30, 17], [67]], length: 67),
        Case(heads: 6, kvHeads: 2, headDim: 64, segments: [[70, 1, 59], [40]], length: 130),
        Case(heads: 3, kvHeads: 3, headDim: 80, segments: [[16, 9]], length: 29, window: 6),
        Case(heads: 2, kvHeads: 1, headDim: 5, segments: [[1, 1, 1], []], length: 4),
    ]

    func inputs(_ c: Case, seed: UInt64) -> (q: Tensor<Float>, k: Tensor<Float>, v: Tensor<Float>, dout: Tensor<Float>) {
        var rng = RandomGenerator(seed: seed)
        let b = c.segments.count
        // Large logits (std 1 per element, ×√D in the dot product) make attention far from uniform.
        let q = Tensor<Float>.randomNormal([b, c.length, c.heads, c.headDim], generator: &rng)
        let k = Tensor<Float>.randomNormal([b, c.length, c.kvHeads, c.headDim], generator: &rng)
        let v = Tensor<Float>.randomNormal([b, c.length, c.kvHeads, c.headDim], generator: &rng)
        let dout = Tensor<Float>.randomNormal([b, c.length, c.heads, c.headDim], generator: &rng)
        return (q, k, v, dout)
    }

    func run(_ q: Tensor<Float>, _ k: Tensor<Float>, _ v: Tensor<Float>, _ dout: Tensor<Float>,
             _ f: (Tensor<Float>, Tensor<Float>, Tensor<Float>) -> Tensor<Float>) -> [Tensor<Float>] {
        let (lq, lk, lv) = (q.requiringGradient(), k.requiringGradient(), v.requiringGradient())
        let out = f(lq, lk, lv)
        out.backward(dout)
        return [out.detached, lq.grad!, lk.grad!, lv.grad!]
    }

    @Test(arguments: cases)
    func matchesDenseReference(_ c: Case) throws {
        let layout = try AttentionLayout(segmentLengths: c.segments, length: c.length, window: c.window)
        let (q, k, v, dout) = inputs(c, seed: 1)
        let fast = run(q, k, v, dout) { attention(query: $0, key: $1, value: $2, layout: layout) }
        // The reference runs in Double, so the comparison measures the kernel's error only.
        let dq = q.converted(to: Double.self), dk = k.converted(to: Double.self), dv = v.converted(to: Double.self)
        let (lq, lk, lv) = (dq.requiringGradient(), dk.requiringGradient(), dv.requiringGradient())
        let out = denseAttention(query: lq, key: lk, value: lv, layout: layout)
        out.backward(dout.converted(to: Double.self))
        let expected = [out.detached, lq.grad!, lk.grad!, lv.grad!]
        for (name, (o, e)) in zip(["out", "dq", "dk", "dv"], zip(fast, expected)) {
            let r = allClose(o.doubles, e.doubles, rtol: 1e-4, atol: 1e-5)
            #expect(r.ok, "\(c) \(name): \(r.report)")
        }
    }

    /// A packed row gives, for each sample, what running that sample alone gives: outputs and gradients.
    @Test func packedRowEqualsSeparateSamples() throws {
        let lengths = [9, 23, 1, 16]
        let (H, KV, D) = (6, 2, 24)
        let total = lengths.reduce(0, +)
        let c = Case(heads: H, kvHeads: KV, headDim: D, segments: [lengths], length: total)
        let (q, k, v, dout) = inputs(c, seed: 2)
        let packed = run(q, k, v, dout) {
            attention(query: $0, key: $1, value: $2, layout: try! AttentionLayout(segmentLengths: [lengths], length: total))
        }
        var start = 0
        for n in lengths {
            let range = start..<(start + n)
            let alone = run(q.slice(axis: 1, range), k.slice(axis: 1, range), v.slice(axis: 1, range),
                            dout.slice(axis: 1, range)) { attention(query: $0, key: $1, value: $2) }
            for (name, (p, a)) in zip(["out", "dq", "dk", "dv"], zip(packed, alone)) {
                let r = allClose(p.slice(axis: 1, range).doubles, a.doubles, rtol: 1e-5, atol: 1e-5)
                #expect(r.ok, "segment \(range) \(name): \(r.report)")
            }
            start += n
        }
    }

    @Test func paddingPositionsGiveZeros() throws {
        let c = Case(heads: 2, kvHeads: 1, headDim: 8, segments: [[3]], length: 6)
        let layout = try AttentionLayout(segmentLengths: c.segments, length: c.length)
        let (q, k, v, dout) = inputs(c, seed: 3)
        let r = run(q, k, v, dout) { attention(query: $0, key: $1, value: $2, layout: layout) }
        #expect(r[0].slice(axis: 1, 3..<6).scalars.allSatisfy { $0 == 0 })
        for g in r[1...] { #expect(g.slice(axis: 1, 3..<6).scalars.allSatisfy { $0 == 0 }) }
    }

    /// Continuing after cached keys (S > T): query i sits at position S − T + i.
    @Test func queriesAfterCachedKeys() {
        var rng = RandomGenerator(seed: 4)
        let q = Tensor<Float>.randomNormal([1, 3, 4, 16], generator: &rng)
        let k = Tensor<Float>.randomNormal([1, 10, 2, 16], generator: &rng)
        let v = Tensor<Float>.randomNormal([1, 10, 2, 16], generator: &rng)
        let fast = attention(query: q, key: k, value: v)
        let dense = denseAttention(query: q.converted(to: Double.self), key: k.converted(to: Double.self),
                                   value: v.converted(to: Double.self))
        let r = allClose(fast.doubles, dense.doubles, rtol: 1e-4, atol: 1e-5)
        #expect(r.ok, "\(r.report)")
    }
}
