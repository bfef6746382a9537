import SwiftTuneCore
import Testing

@Suite("Chunked linear cross-entropy")
struct LinearCrossEntropyTests {
    /// Chunked over rows it gives the loss and ∂loss/∂hidden of the plain logits path, for several chunk sizes,
    /// ignored targets and an explicit normalizer; a trainable weight falls back to the plain path.
    @Test(arguments: [1, 3, 7, 64])
    func equalsPlainLogitsPath(_ chunkRows: Int) {
        var rng = RandomGenerator(seed: 11)
        let (n, c, v) = (13, 9, 37)
        let h = Tensor<Float>.randomNormal([n, c], generator: &rng)
        let w = Tensor<Float>.randomNormal([v, c], standardDeviation: 0.5, generator: &rng)
        let targets = (0..<n).map { $0 % 4 == 1 ? ignoreIndex : Int(rng.next() % UInt64(v)) }
        for normalizer in [nil, 20.0] {
            let plainLeaf = h.requiringGradient()
            let plain = withGradients { crossEntropy(logits: matmul(plainLeaf, w, transposeB: true), targets: targets, normalizer: normalizer) }
            plain.backward()
            let chunkedLeaf = h.requiringGradient()
            let chunked = withGradients {
                linearCrossEntropy(hidden: chunkedLeaf, weight: w, targets: targets, normalizer: normalizer, chunkRows: chunkRows)
            }
            chunked.backward(Tensor(scalar: 2))   // a non-unit upstream gradient scales ∂loss/∂hidden
            #expect(Swift.abs(plain.item - chunked.item) <= 1e-5 * Swift.max(1, Swift.abs(plain.item)))
            let expected = plainLeaf.grad!.scalars.map { 2 * $0 }, observed = chunkedLeaf.grad!.scalars
            let difference = zip(expected, observed).map { Swift.abs($0 - $1) }.max()!
            #expect(difference <= 1e-6, "chunk \(chunkRows), normalizer \(String(describing: normalizer)): max difference \(difference)")
        }
        let trainable = w.requiringGradient(), leaf = h.requiringGradient()
        let loss = withGradients { linearCrossEntropy(hidden: leaf, weight: trainable, targets: targets, chunkRows: chunkRows) }
        loss.backward()
        #expect(trainable.grad != nil && leaf.grad != nil)
    }
}
