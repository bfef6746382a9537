import Foundation
import SwiftTuneCore
import Testing
import TestSupport

@Suite("Per-token log-probabilities of labels")
struct TokenLogProbabilitiesTests {
    static func problem(seed: UInt64) -> (h: Tensor<Double>, w: Tensor<Double>, targets: [Int]) {
        var rng = RandomGenerator(seed: seed)
        let (n, c, v) = (11, 6, 19)
        let h = Tensor<Double>.randomNormal([n, c], generator: &rng)
        let w = Tensor<Double>.randomNormal([v, c], standardDeviation: 0.7, generator: &rng)
        let targets = (0..<n).map { $0 % 4 == 2 ? ignoreIndex : Int(rng.next() % UInt64(v)) }
        return (h, w, targets)
    }

    /// Each value is log softmax(h·Wᵀ)[t] computed densely, equals −(cross-entropy of that row alone), and is 0
    /// at an ignored row.
    @Test func equalsDenseLogSoftmaxAndNegativeCrossEntropy() {
        let (h, w, targets) = Self.problem(seed: 3)
        let logp = tokenLogProbabilities(hidden: h, weight: w, targets: targets, chunkRows: 4).scalars
        let logits = matmul(h, w, transposeB: true)
        let v = w.shape[0]
        for (i, t) in targets.enumerated() {
            guard t != ignoreIndex else { #expect(logp[i] == 0); continue }
            let row = (0..<v).map { logits[i, $0] }
            let m = row.max()!
            let dense = row[t] - (m + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - m) }))
            #expect(Swift.abs(logp[i] - dense) <= 1e-12)
            let ce = crossEntropy(logits: logits.slice(axis: 0, i..<(i + 1)), targets: [t]).item
            #expect(Swift.abs(logp[i] + ce) <= 1e-12)
        }
    }

    /// Values and gradients (into h and a trainable W, under a non-uniform upstream gradient) do not depend on
    /// the chunk size.
    @Test func chunkSizeDoesNotChangeResults() {
        let (h, w, targets) = Self.problem(seed: 5)
        let upstream = randomDoubles([h.shape[0]], seed: 9)
        func run(_ chunk: Int?) -> (values: [Double], dh: [Double], dw: [Double]) {
            let (hl, wl) = (h.requiringGradient(), w.requiringGradient())
            let out = withGradients { tokenLogProbabilities(hidden: hl, weight: wl, targets: targets, chunkRows: chunk) }
            withGradients { (out * upstream).sum() }.backward()
            return (out.scalars, hl.grad!.scalars, wl.grad!.scalars)
        }
        let reference = run(nil)
        for chunk in [1, 2, 5, 11, 100] {
            let r = run(chunk)
            #expect(allClose(r.values, reference.values, rtol: 1e-12, atol: 1e-12).ok, "chunk \(chunk) values")
            #expect(allClose(r.dh, reference.dh, rtol: 1e-10, atol: 1e-12).ok, "chunk \(chunk) ∂h")
            #expect(allClose(r.dw, reference.dw, rtol: 1e-10, atol: 1e-12).ok, "chunk \(chunk) ∂W")
        }
    }

    /// Finite-difference gradients for h and W, with a frozen W (only ∂h) and a trainable W.
    @Test(arguments: [1, 3, 64])
    func gradientsMatchFiniteDifferences(_ chunk: Int) {
        let (h, w, targets) = Self.problem(seed: 7)
        let check = GradientCheck(step: 1e-6, relativeTolerance: 1e-6, absoluteTolerance: 1e-8)
        #expect(check.failure(inputs: [h, w]) { tokenLogProbabilities(hidden: $0[0], weight: $0[1], targets: targets, chunkRows: chunk) } == nil)
        #expect(check.failure(inputs: [h]) { tokenLogProbabilities(hidden: $0[0], weight: w, targets: targets, chunkRows: chunk) } == nil)
    }

    /// Sequence sums (with and without weights) and their gradient.
    @Test func sequenceSumsAndGradient() {
        let x = randomDoubles([3, 4], seed: 12)
        let weights = (0..<12).map { Double($0 % 3) * 0.5 }
        let sums = sequenceSums(x.reshaped([12]), batchSize: 3, weights: weights).scalars
        for b in 0..<3 {
            let expected = (0..<4).reduce(0.0) { $0 + x[b, $1] * weights[b * 4 + $1] }
            #expect(Swift.abs(sums[b] - expected) <= 1e-12)
        }
        #expect(GradientCheck().failure(inputs: [x]) { sequenceSums($0[0], batchSize: 3, weights: weights) } == nil)
        #expect(sequenceSums(Tensor<Double>.zeros([0]), batchSize: 0).shape == [0])
    }
}
