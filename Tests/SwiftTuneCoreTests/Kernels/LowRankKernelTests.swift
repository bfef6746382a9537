// The skinny LoRA kernels (st_lowrank.h): each fast kernel against its scalar twin (bit for bit: both use fused
// multiply-adds in the same order), against a float64 product (within a bound proportional to Σ|terms|), and at 1
// and 2 threads (bit for bit). Ranks 1, 3, 8, 13, 64 (not multiples of the 8-lane vector or of the kernels' blocks
// of 4 ranks), rows and features that are not multiples of 8 or of the 3- / 4-row blocks and 24-column strips,
// and sizes large enough that two threads each get part of the work.
import CKernels
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// xorshift64 values in [-1, 1).
private func lowRankRandom(_ count: Int, seed: UInt64) -> [Float] {
    var x = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        var i = 0
        while i < count {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            buffer[i] = -1 + 2 * Float(x >> 40) * 0x1p-24
            i += 1
        }
        initialized = count
    }
}

/// Runs `body` at 1, then 2 threads, restoring the previous count; returns both results.
private func atOneAndTwoThreads(_ body: () -> [Float]) -> ([Float], [Float]) {
    let saved = st_get_num_threads()
    defer { st_set_num_threads(saved) }
    st_set_num_threads(1)
    let one = body()
    st_set_num_threads(2)
    return (one, body())
}

/// First element where |observed − expected| > 1e-5 · bound (bound = Σ|terms| in float64, at least 1e-30).
private func exceedsDoubleReference(_ observed: [Float], _ expected: [Double], _ bound: [Double]) -> String? {
    guard observed.count == expected.count else { return "count \(observed.count) vs \(expected.count)" }
    var i = 0
    while i < observed.count {
        if abs(Double(observed[i]) - expected[i]) > 1e-5 * max(bound[i], 1e-30) {
            return "index \(i): expected \(expected[i]), observed \(observed[i])"
        }
        i += 1
    }
    return nil
}

@Suite("st_lowrank kernels match their scalar twins, a float64 product, and 1 vs 2 threads")
struct LowRankKernelTests {
    /// (M, K, N) — rows, input features, output features.
    static let shapes = [(1, 1, 1), (7, 9, 5), (37, 45, 29), (203, 77, 101)]
    static let ranks = [1, 3, 8, 13, 64]

    @Test("st_lowrank_project_f32: out = s · x · wᵀ", arguments: ranks)
    func project(rank r: Int) {
        for (m, k, _) in Self.shapes {
            let x = lowRankRandom(m * k, seed: UInt64(m * 1000 + k))
            let w = lowRankRandom(r * k, seed: UInt64(r * 77 + k))
            let scale: Float = 1.75
            let (one, two) = atOneAndTwoThreads {
                [Float](unsafeUninitializedCapacity: m * r) { b, n in
                    st_lowrank_project_f32(b.baseAddress!, x, w, scale, Int64(m), Int64(k), Int64(r)); n = m * r
                }
            }
            let twin = [Float](unsafeUninitializedCapacity: m * r) { b, n in
                st_lowrank_project_f32_ref(b.baseAddress!, x, w, scale, Int64(m), Int64(k), Int64(r)); n = m * r
            }
            #expect(one == twin, "project fast vs twin, M \(m) K \(k) r \(r)")
            #expect(one == two, "project 1 vs 2 threads, M \(m) K \(k) r \(r)")
            var expected = [Double](repeating: 0, count: m * r), bound = expected
            for i in 0..<m {
                for j in 0..<r {
                    for p in 0..<k {
                        let t = Double(scale) * Double(x[i * k + p]) * Double(w[j * k + p])
                        expected[i * r + j] += t
                        bound[i * r + j] += abs(t)
                    }
                }
            }
            let failure = exceedsDoubleReference(one, expected, bound)
            #expect(failure == nil, "project vs float64, M \(m) K \(k) r \(r): \(failure ?? "")")
        }
    }

    @Test("st_lowrank_expand_f32: y = s · h · w, and y += s · h · w", arguments: ranks)
    func expand(rank r: Int) {
        for (m, _, n) in Self.shapes {
            let h = lowRankRandom(m * r, seed: UInt64(m * 31 + r))
            let w = lowRankRandom(r * n, seed: UInt64(r * 7 + n))
            let y0 = lowRankRandom(m * n, seed: UInt64(m + n * 3))
            let scale: Float = -0.5
            for accumulate in [false, true] {
                let (one, two) = atOneAndTwoThreads {
                    var y = y0
                    st_lowrank_expand_f32(&y, h, w, scale, accumulate ? 1 : 0, Int64(m), Int64(r), Int64(n))
                    return y
                }
                var twin = y0
                st_lowrank_expand_f32_ref(&twin, h, w, scale, accumulate ? 1 : 0, Int64(m), Int64(r), Int64(n))
                #expect(one == twin, "expand fast vs twin, M \(m) N \(n) r \(r) accumulate \(accumulate)")
                #expect(one == two, "expand 1 vs 2 threads, M \(m) N \(n) r \(r) accumulate \(accumulate)")
                var expected = [Double](repeating: 0, count: m * n), bound = expected
                for i in 0..<m {
                    for c in 0..<n {
                        if accumulate {
                            expected[i * n + c] = Double(y0[i * n + c])
                            bound[i * n + c] = abs(Double(y0[i * n + c]))
                        }
                        for j in 0..<r {
                            let t = Double(scale) * Double(h[i * r + j]) * Double(w[j * n + c])
                            expected[i * n + c] += t
                            bound[i * n + c] += abs(t)
                        }
                    }
                }
                let failure = exceedsDoubleReference(one, expected, bound)
                #expect(failure == nil, "expand vs float64, M \(m) N \(n) r \(r) acc \(accumulate): \(failure ?? "")")
            }
        }
    }

    @Test("st_lowrank_gram_f32: s · hᵀ · g as [R, N] and transposed as [N, R]", arguments: ranks)
    func gram(rank r: Int) {
        for (m, _, n) in Self.shapes {
            let h = lowRankRandom(m * r, seed: UInt64(m * 13 + r))
            let g = lowRankRandom(m * n, seed: UInt64(m * 5 + n))
            let scale: Float = 0.25
            for transposed in [false, true] {
                let (one, two) = atOneAndTwoThreads {
                    [Float](unsafeUninitializedCapacity: r * n) { b, count in
                        st_lowrank_gram_f32(b.baseAddress!, h, g, scale, transposed ? 1 : 0, Int64(m), Int64(r),
                                            Int64(n))
                        count = r * n
                    }
                }
                let twin = [Float](unsafeUninitializedCapacity: r * n) { b, count in
                    st_lowrank_gram_f32_ref(b.baseAddress!, h, g, scale, transposed ? 1 : 0, Int64(m), Int64(r),
                                            Int64(n))
                    count = r * n
                }
                #expect(one == twin, "gram fast vs twin, M \(m) N \(n) r \(r) transposed \(transposed)")
                #expect(one == two, "gram 1 vs 2 threads, M \(m) N \(n) r \(r) transposed \(transposed)")
                var expected = [Double](repeating: 0, count: r * n), bound = expected
                for j in 0..<r {
                    for c in 0..<n {
                        let at = transposed ? c * r + j : j * n + c
                        for i in 0..<m {
                            let t = Double(scale) * Double(h[i * r + j]) * Double(g[i * n + c])
                            expected[at] += t
                            bound[at] += abs(t)
                        }
                    }
                }
                let failure = exceedsDoubleReference(one, expected, bound)
                #expect(failure == nil, "gram vs float64, M \(m) N \(n) r \(r) transposed \(transposed): \(failure ?? "")")
            }
        }
    }

    @Test("st_lowrank_transpose_f32")
    func transpose() {
        let (rows, columns) = (13, 5)
        let input = lowRankRandom(rows * columns, seed: 3)
        var out = [Float](repeating: .nan, count: rows * columns)
        st_lowrank_transpose_f32(&out, input, Int64(rows), Int64(columns))
        for r in 0..<rows { for c in 0..<columns { #expect(out[c * rows + r] == input[r * columns + c]) } }
    }
}
