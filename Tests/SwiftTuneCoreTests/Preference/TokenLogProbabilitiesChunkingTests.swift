@testable import SwiftTuneCore
import Testing
import TestSupport

@Suite("Per-token log-probabilities stay within one chunk of logits")
struct TokenLogProbabilitiesChunkingTests {
    /// The forward asks the output layer for at most `chunkRows` rows of logits at a time (never the whole
    /// `[N, V]`), once per chunk of the scored rows only (the ignored row costs no logits), and with a frozen
    /// weight backward asks for none (it scales the Jacobian rows the forward kept); the results equal the
    /// one-chunk run and ∂h is 0 at the ignored row.
    @Test(arguments: [1, 4, 5])
    func logitsAreRequestedOneChunkAtATime(_ chunkRows: Int) {
        var rng = RandomGenerator(seed: 21)
        let (n, c, v) = (10, 4, 13)
        let h = Tensor<Double>.randomNormal([n, c], generator: &rng)
        let w = Tensor<Double>.randomNormal([v, c], generator: &rng)
        let targets = (0..<n).map { $0 == 3 ? ignoreIndex : Int(rng.next() % UInt64(v)) }
        final class Log { var rows: [Int] = [] }
        let log = Log()
        func run(_ chunk: Int) -> (values: [Double], dh: [Double]) {
            let leaf = h.requiringGradient()
            let out = withGradients {
                chunkedTokenLogProbabilities(hidden: leaf, vocabularySize: v, targets: targets, chunkRows: chunk,
                                             weight: nil, logits: { x in log.rows.append(x.shape[0]); return matmul(x, w, transposeB: true) },
                                             inputGradient: { matmul($0, w) })
            }
            out.sum().backward()
            return (out.scalars, leaf.grad!.scalars)
        }
        let chunked = run(chunkRows)
        let scored = n - 1
        let chunks = (scored + chunkRows - 1) / chunkRows
        #expect(log.rows.count == chunks, "one logits call per chunk in forward, none in backward")
        #expect(log.rows.allSatisfy { $0 <= chunkRows } && log.rows.reduce(0, +) == scored)
        #expect(chunked.dh[(3 * c)..<(4 * c)].allSatisfy { $0 == 0 } && chunked.values[3] == 0)
        let whole = run(n)
        #expect(allClose(chunked.values, whole.values, rtol: 1e-12, atol: 1e-13).ok)
        #expect(allClose(chunked.dh, whole.dh, rtol: 1e-12, atol: 1e-13).ok)
    }
}
