// sgemm split into one slab per thread (SplitGemm): every transpose combination, slabs of rows and of columns,
// leading dimensions larger than the extents, β ≠ 0, 2 and 3 slabs (uneven), against a float64 reference.
// Tolerance: K ≤ 300 float32 products of values in [−1, 1]: 1e-5 relative + 1e-4 absolute.
@testable import SwiftTuneCore
import Testing

@Suite("sgemm split across threads")
struct SplitGemmTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func slabsMatchReference(_ transposes: (Bool, Bool)) {
        let (ta, tb) = transposes
        for (m, n, k, parts) in [(97, 40, 300, 2), (40, 161, 70, 2), (130, 130, 64, 3), (33, 250, 129, 3)] {
            var state: UInt64 = 42
            func next() -> Float {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
            }
            // Stored shapes: A is [m, k] (or [k, m] transposed), B is [k, n] (or [n, k]); 3 spare columns each.
            let (aRows, aCols) = ta ? (k, m) : (m, k)
            let (bRows, bCols) = tb ? (n, k) : (k, n)
            let (lda, ldb, ldc) = (aCols + 3, bCols + 3, n + 3)
            let a = (0..<(aRows * lda)).map { _ in next() }
            let b = (0..<(bRows * ldb)).map { _ in next() }
            var c = (0..<(m * ldc)).map { _ in next() }
            let (alpha, beta): (Float, Float) = (0.75, 0.5)
            var expected = c.map(Double.init)
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0
                    for p in 0..<k {
                        sum += Double(ta ? a[p * lda + i] : a[i * lda + p]) * Double(tb ? b[j * ldb + p] : b[p * ldb + j])
                    }
                    expected[i * ldc + j] = Double(alpha) * sum + Double(beta) * Double(c[i * ldc + j])
                }
            }
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        var job = SplitGemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: alpha, beta: beta,
                                            a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                            c: cp.baseAddress!, ldc: ldc, splitRows: true, parts: 1)
                        #expect(SplitGemm.run(&job, parts: parts), "\(m)×\(n)×\(k) should split")
                        #expect(job.splitRows == (m >= n))
                    }
                }
            }
            var worst = 0.0
            for i in 0..<(m * ldc) {
                let isOutput = i % ldc < n
                let diff = abs(Double(c[i]) - expected[i])
                if !isOutput { #expect(diff == 0, "spare column \(i) changed"); continue }
                worst = max(worst, diff / (1e-4 + 1e-5 * abs(expected[i])))
            }
            #expect(worst <= 1, "\(ta ? "T" : "N")\(tb ? "T" : "N") \(m)×\(n)×\(k), \(parts) slabs: \(worst)× tolerance")
        }
    }

    @Test func smallProductsAreNotSplit() {
        var job = SplitGemm(transposeA: false, transposeB: false, m: 8, n: 8, k: 8, alpha: 1, beta: 0,
                            a: UnsafePointer(bitPattern: 16)!, lda: 8, b: UnsafePointer(bitPattern: 16)!, ldb: 8,
                            c: UnsafeMutablePointer(bitPattern: 16)!, ldc: 8, splitRows: true, parts: 1)
        #expect(!SplitGemm.run(&job, parts: 2))
    }
}
