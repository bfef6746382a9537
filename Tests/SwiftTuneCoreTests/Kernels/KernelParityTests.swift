// Parity of every CKernels fast kernel (`st_x_f32`: AVX2+FMA when the CPU has it, threaded) with its scalar
// twin (`st_x_f32_ref`, serial, the definition), on awkward sizes (empty, shorter than a vector, one vector,
// one past, odd tails, long rows) and with 1 and 2 threads; plus st_parallel_for's coverage and the random
// streams' determinism and statistics.
//
// The tolerances are named below. Kernels whose fast path performs the same float operations as the twin are held
// to exact equality; those that use the vector exp (about 1 ulp) or tanh (about 2 ulp) get a relative bound, and
// backward kernels whose formula cancels (1 - y², g - x̂·m, ...) get an absolute floor scaled to the largest
// expected value. On failure the comment prints the index, expected, observed value and the tolerance.
//
// Thread count is process-global state; results of every kernel are independent of it, so tests running in
// parallel (here and in other suites) are unaffected by the temporary changes made here. The whole file runs in
// under a second in a debug build.
import CKernels
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Tolerances and comparison

/// First element violating `tolerance`, described for the #expect comment; nil when all match.
private func mismatch(_ observed: [Float], _ expected: [Float], _ tolerance: Tolerance) -> String? {
    guard observed.count == expected.count else {
        return "count: expected \(expected.count), observed \(observed.count)"
    }
    // Fast path (these run unoptimised in debug builds): bit-identical buffers match under every tolerance.
    if expected.isEmpty { return nil }
    let identical = observed.withUnsafeBytes { o in
        expected.withUnsafeBytes { e in memcmp(o.baseAddress!, e.baseAddress!, o.count) == 0 }
    }
    if identical { return nil }
    return observed.withUnsafeBufferPointer { o -> String? in
        expected.withUnsafeBufferPointer { e -> String? in
            var scale: Float = 0
            var i = 0
            while i < e.count {
                if e[i].isFinite && abs(e[i]) > scale { scale = abs(e[i]) }
                i += 1
            }
            let floor = tolerance.scaledAbsolute * Double(scale) + tolerance.absolute
            i = 0
            while i < e.count {
                let want = e[i], got = o[i]
                var ok: Bool
                if want.isNaN || got.isNaN {
                    ok = want.isNaN && got.isNaN
                } else if want.isInfinite || got.isInfinite {
                    ok = want == got
                } else {
                    ok = Double(abs(got - want)) <= tolerance.relative * Double(abs(want)) + floor
                }
                if !ok {
                    return "index \(i) of \(e.count): expected \(want), observed \(got), tolerance \(tolerance)"
                }
                i += 1
            }
            return nil
        }
    }
}

private func check(_ what: String, _ observed: [Float], _ expected: [Float], _ tolerance: Tolerance,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    let failure = mismatch(observed, expected, tolerance)
    #expect(failure == nil, "\(what): \(failure ?? "")", sourceLocation: sourceLocation)
}

// MARK: - Inputs and settings

/// xorshift64: reproducible test data without depending on the library's own generators.
private struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next(_ low: Float, _ high: Float) -> Float {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return low + (high - low) * Float(state >> 40) * 0x1p-24
    }
    /// `count` values in [low, high); a plain loop over raw storage, since test code runs unoptimised in debug.
    mutating func array(_ count: Int, _ low: Float, _ high: Float) -> [Float] {
        var x = state
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            var i = 0
            while i < count {
                x ^= x << 13
                x ^= x >> 7
                x ^= x << 17
                buffer[i] = low + (high - low) * Float(x >> 40) * 0x1p-24
                i += 1
            }
            initialized = count
        }
        state = x
        return values
    }
}

/// Runs `body` once per thread count (1, then 2), restoring the previous count.
private func forEachThreadCount(_ body: (Int32) throws -> Void) rethrows {
    let saved = st_get_num_threads()
    defer { st_set_num_threads(saved) }
    for threads: Int32 in [1, 2] {
        st_set_num_threads(threads)
        try body(threads)
    }
}

/// Element counts around the 8-float vector width, plus a long odd one (> 2 x the 32K elementwise grain, so two
/// threads each get a chunk, with a tail).
private let awkwardSizes = [0, 1, 7, 8, 9, 31, 33, 1000, 65_543]
/// Row lengths around the vector width and the model's shapes (576 = SmolLM hidden size).
private let awkwardColumns = [1, 7, 8, 9, 576, 1000]

// MARK: - Tests

@Suite("CKernels fast paths match their scalar twins")
struct KernelParityTests {
    // MARK: st_parallel_for

    @Test("st_parallel_for runs every index exactly once, in chunks of at least `grain`",
          arguments: [0, 1, 2, 7, 1000, 10_007], [0, 1, 3, 64, 100_000])
    func parallelForCoverage(n: Int, grain: Int) {
        forEachThreadCount { threads in
            // counts[i]: how often index i ran; lengths[b]: length of the chunk that began at b (one writer each).
            var counts = [Int32](repeating: 0, count: 2 * n + 1)
            counts[0] = Int32(n)   // slot 0 holds n; indices live in 1...n, chunk lengths in n+1...2n
            counts.withUnsafeMutableBufferPointer { buffer in
                st_parallel_for(Int64(n), Int64(grain), { ctx, begin, end in
                    let counts = ctx!.assumingMemoryBound(to: Int32.self)
                    let n = Int(counts[0])
                    for i in Int(begin)..<Int(end) { counts[1 + i] += 1 }
                    counts[1 + n + Int(begin)] = Int32(end - begin)
                }, UnsafeMutableRawPointer(buffer.baseAddress!))
            }
            let ran = counts[1..<(n + 1)]
            #expect(ran.allSatisfy { $0 == 1 },
                    "n=\(n) grain=\(grain) threads=\(threads): counts \(Array(ran.prefix(16)))")
            let chunks = counts[(n + 1)...].filter { $0 > 0 }
            #expect(chunks.reduce(0, +) == Int32(n), "chunk lengths \(chunks) must add up to n=\(n)")
            if chunks.count > 1 {
                #expect(chunks.allSatisfy { Int($0) >= grain }, "chunks \(chunks) shorter than grain \(grain)")
            }
        }
    }

    @Test("A st_parallel_for inside a parallel region runs inline and still covers its range")
    func nestedParallelFor() {
        forEachThreadCount { _ in
            var failures = [Int32](repeating: 0, count: 4)
            failures.withUnsafeMutableBufferPointer { buffer in
                st_parallel_for(4, 1, { ctx, begin, end in
                    let failures = ctx!.assumingMemoryBound(to: Int32.self)
                    for outer in Int(begin)..<Int(end) {
                        var inner = [Int32](repeating: 0, count: 100)
                        inner.withUnsafeMutableBufferPointer { p in
                            st_parallel_for(100, 1, { ctx, b, e in
                                let c = ctx!.assumingMemoryBound(to: Int32.self)
                                for i in Int(b)..<Int(e) { c[i] += 1 }
                            }, UnsafeMutableRawPointer(p.baseAddress!))
                        }
                        failures[outer] = Int32(inner.filter { $0 != 1 }.count)
                    }
                }, UnsafeMutableRawPointer(buffer.baseAddress!))
            }
            #expect(failures == [0, 0, 0, 0], "indices not run exactly once per outer index: \(failures)")
        }
    }

    // MARK: Elementwise

    @Test("st_binary_f32 / st_binary_scalar_f32 (also in place)", arguments: BinaryCase.all, awkwardSizes)
    func binary(op: BinaryCase, n: Int) {
        var rng = TestRandom(seed: UInt64(n) + 1)
        var a = rng.array(n, -3, 3)
        let b = rng.array(n, 0.5, 2)
        if n >= 9 { a[0] = .nan; a[1] = .infinity; a[2] = -0.0; a[3] = 0.0; a[4] = b[4] }
        forEachThreadCount { threads in
            var fast = [Float](repeating: -1, count: n), ref = fast
            st_binary_f32(&fast, a, b, Int64(n), op.op)
            st_binary_f32_ref(&ref, a, b, Int64(n), op.op)
            check("binary \(op.name) n=\(n) threads=\(threads)", fast, ref, .exact)

            var inPlace = a
            inPlace.withUnsafeMutableBufferPointer { p in
                st_binary_f32(p.baseAddress, p.baseAddress, b, Int64(n), op.op)
            }
            check("binary \(op.name) in place n=\(n)", inPlace, ref, .exact)

            st_binary_scalar_f32(&fast, a, 0.7, Int64(n), op.op)
            st_binary_scalar_f32_ref(&ref, a, 0.7, Int64(n), op.op)
            check("binary scalar \(op.name) n=\(n) threads=\(threads)", fast, ref, .exact)
        }
    }

    @Test("st_binary_row_f32 broadcasts b over rows", arguments: BinaryCase.all, awkwardColumns)
    func binaryRow(op: BinaryCase, columns: Int) {
        var rng = TestRandom(seed: UInt64(columns))
        for rows in [1, 7, 70] {
            let a = rng.array(rows * columns, -3, 3), b = rng.array(columns, 0.5, 2)
            forEachThreadCount { threads in
                var fast = [Float](repeating: -1, count: rows * columns), ref = fast
                st_binary_row_f32(&fast, a, b, Int64(rows), Int64(columns), op.op)
                st_binary_row_f32_ref(&ref, a, b, Int64(rows), Int64(columns), op.op)
                check("binary row \(op.name) [\(rows), \(columns)] threads=\(threads)", fast, ref, .exact)
            }
        }
    }

    @Test("st_axpby_f32 (beta == 0 ignores y, which may be NULL)", arguments: awkwardSizes)
    func axpby(n: Int) {
        var rng = TestRandom(seed: 7 + UInt64(n))
        let x = rng.array(n, -3, 3), y = rng.array(n, -3, 3)
        forEachThreadCount { threads in
            var fast = [Float](repeating: -1, count: n), ref = fast
            st_axpby_f32(&fast, x, y, 0.3, -1.7, Int64(n))
            st_axpby_f32_ref(&ref, x, y, 0.3, -1.7, Int64(n))
            check("axpby n=\(n) threads=\(threads)", fast, ref, .exact)
            st_axpby_f32(&fast, x, nil, 0.3, 0, Int64(n))
            st_axpby_f32_ref(&ref, x, nil, 0.3, 0, Int64(n))
            check("axpby beta=0 n=\(n) threads=\(threads)", fast, ref, .exact)
        }
    }

    @Test("st_unary_f32 and st_unary_backward_f32", arguments: UnaryCase.all, awkwardSizes)
    func unary(op: UnaryCase, n: Int) {
        var rng = TestRandom(seed: UInt64(op.raw) * 1000 + UInt64(n))
        var x = rng.array(n, op.low, op.high)
        if op.raw == ST_TANH.rawValue { for i in stride(from: 0, to: n, by: 3) { x[i] *= 0.01 } }   // small branch
        let dy = rng.array(n, -1, 1)
        var y = [Float](repeating: 0, count: n)
        st_unary_f32_ref(&y, x, Int64(n), op.op)
        forEachThreadCount { threads in
            var fast = [Float](repeating: -1, count: n), ref = fast
            st_unary_f32(&fast, x, Int64(n), op.op)
            st_unary_f32_ref(&ref, x, Int64(n), op.op)
            check("\(op.name) n=\(n) threads=\(threads)", fast, ref, op.forward)

            st_unary_backward_f32(&fast, x, y, dy, Int64(n), op.op)
            st_unary_backward_f32_ref(&ref, x, y, dy, Int64(n), op.op)
            check("\(op.name) backward n=\(n) threads=\(threads)", fast, ref, op.backward)
        }
    }

    @Test("Unary kernels on special values: ±0, ±inf, NaN, overflow and underflow of exp", arguments: UnaryCase.all)
    func unarySpecialValues(op: UnaryCase) {
        let x: [Float] = [0, -0.0, .infinity, -.infinity, .nan, 88.7, 88.73, 89, 100, -87, -88, -100, -103, -104, -110,
                          1e-8, -1e-8, 0.5, -0.5, 0.625, -0.62, 3, 9, -9, 1e30, -1e30]
        var fast = [Float](repeating: -1, count: x.count), ref = fast
        st_unary_f32(&fast, x, Int64(x.count), op.op)
        st_unary_f32_ref(&ref, x, Int64(x.count), op.op)
        // Subnormal results of exp keep fewer significant bits, hence the tiny absolute floor.
        let tolerance = Tolerance(name: "\(op.forward.name)+subnormal", relative: op.forward.relative,
                                  scaledAbsolute: 0, absolute: 1e-44)
        check("\(op.name) special values", fast, ref, tolerance)
    }

    @Test("exp saturates like expf: exp(-inf) = 0, exp(large) = inf, exp(NaN) = NaN")
    func expEdgeCases() {
        let x: [Float] = [-.infinity, -200, 0, 89, 200, .infinity, .nan, 1, -1]
        var y = [Float](repeating: -1, count: x.count)
        st_unary_f32(&y, x, Int64(x.count), ST_EXP)
        #expect(y[0] == 0 && y[1] == 0 && y[2] == 1, "observed \(y)")
        #expect(y[3] == .infinity && y[4] == .infinity && y[5] == .infinity, "observed \(y)")
        #expect(y[6].isNaN, "observed \(y[6])")
    }

    @Test("st_swiglu_forward_f32 / st_swiglu_backward_f32 (either gradient may be NULL)", arguments: awkwardSizes)
    func swiglu(n: Int) {
        var rng = TestRandom(seed: 99 + UInt64(n))
        let gate = rng.array(n, -12, 12), up = rng.array(n, -2, 2), dout = rng.array(n, -1, 1)
        forEachThreadCount { threads in
            var fast = [Float](repeating: -1, count: n), ref = fast
            st_swiglu_forward_f32(&fast, gate, up, Int64(n))
            st_swiglu_forward_f32_ref(&ref, gate, up, Int64(n))
            check("swiglu forward n=\(n) threads=\(threads)", fast, ref, .expBased)

            var dgFast = fast, duFast = fast, dgRef = ref, duRef = ref
            st_swiglu_backward_f32(&dgFast, &duFast, dout, gate, up, Int64(n))
            st_swiglu_backward_f32_ref(&dgRef, &duRef, dout, gate, up, Int64(n))
            check("swiglu dgate n=\(n) threads=\(threads)", dgFast, dgRef, .cancelling)
            check("swiglu dup n=\(n) threads=\(threads)", duFast, duRef, .expBased)

            var duOnly = [Float](repeating: -1, count: n)
            st_swiglu_backward_f32(nil, &duOnly, dout, gate, up, Int64(n))
            check("swiglu dup only n=\(n)", duOnly, duRef, .expBased)
        }
    }

    // MARK: Reductions

    @Test("st_reduce_f32 sum / max / logsumexp and st_argmax_f32 over [outer, n, inner]",
          arguments: [[1, 0, 1], [3, 0, 5], [1, 1, 1], [5, 7, 1], [3, 8, 1], [2, 9, 1], [4, 31, 1], [3, 33, 1],
                      [2, 1000, 1], [1, 65_543, 1], [2, 50_000, 1], [2, 7, 9], [3, 9, 7], [1, 1000, 576],
                      [2, 33, 300], [1, 10_001, 3], [7, 1, 8]])
    func reduce(shape: [Int]) {
        let (outer, n, inner) = (shape[0], shape[1], shape[2])
        var rng = TestRandom(seed: UInt64(outer * 31 + n * 7 + inner))
        var x = rng.array(outer * n * inner, -10, 10)
        if x.count > 5 { x[x.count / 2] = 1e6 }
        let ops: [(String, st_reduce_op, Tolerance)] = [("sum", ST_REDUCE_SUM, .rowSum), ("max", ST_REDUCE_MAX, .exact),
                                                        ("logsumexp", ST_REDUCE_LOGSUMEXP, .rowSum)]
        forEachThreadCount { threads in
            for (name, op, tolerance) in ops {
                var fast = [Float](repeating: -1, count: outer * inner), ref = fast
                st_reduce_f32(&fast, x, Int64(outer), Int64(n), Int64(inner), op)
                st_reduce_f32_ref(&ref, x, Int64(outer), Int64(n), Int64(inner), op)
                check("reduce \(name) \(shape) threads=\(threads)", fast, ref, tolerance)
            }
            var fastIndex = [Int64](repeating: -1, count: outer * inner), refIndex = fastIndex
            st_argmax_f32(&fastIndex, x, Int64(outer), Int64(n), Int64(inner))
            st_argmax_f32_ref(&refIndex, x, Int64(outer), Int64(n), Int64(inner))
            #expect(fastIndex == refIndex,
                    "argmax \(shape): expected \(refIndex.prefix(8)), observed \(fastIndex.prefix(8))")
        }
    }

    @Test("Empty reductions: sum 0, max -inf, logsumexp -inf, argmax 0; NaN propagates through max")
    func reduceEdgeCases() {
        var out = [Float](repeating: 7, count: 2)
        let empty: [Float] = []
        st_reduce_f32(&out, empty, 2, 0, 1, ST_REDUCE_SUM)
        #expect(out == [0, 0], "sum of nothing: \(out)")
        st_reduce_f32(&out, empty, 2, 0, 1, ST_REDUCE_MAX)
        #expect(out == [-.infinity, -.infinity], "max of nothing: \(out)")
        st_reduce_f32(&out, empty, 2, 0, 1, ST_REDUCE_LOGSUMEXP)
        #expect(out == [-.infinity, -.infinity], "logsumexp of nothing: \(out)")
        var index: [Int64] = [5]
        st_argmax_f32(&index, empty, 1, 0, 1)
        #expect(index == [0], "argmax of nothing: \(index)")

        let ties: [Float] = [1, 3, 2, 3, 0, 3, 1, 1, 3, 3]
        st_argmax_f32(&index, ties, 1, Int64(ties.count), 1)
        #expect(index == [1], "argmax returns the first maximum: \(index)")
        var withNaN = [Float](repeating: 1, count: 20)
        withNaN[13] = .nan
        withNaN[17] = .nan
        st_argmax_f32(&index, withNaN, 1, 20, 1)
        #expect(index == [13], "argmax returns the first NaN: \(index)")
        var m: [Float] = [0]
        st_reduce_f32(&m, withNaN, 1, 20, 1, ST_REDUCE_MAX)
        #expect(m[0].isNaN, "max with a NaN: \(m)")
    }

    @Test("st_dot_f32 accumulates in double", arguments: awkwardSizes)
    func dot(n: Int) {
        var rng = TestRandom(seed: 5 + UInt64(n))
        let a = rng.array(n, -1, 1), b = rng.array(n, -1, 1)
        let fast = st_dot_f32(a, b, Int64(n)), ref = st_dot_f32_ref(a, b, Int64(n))
        let bound = Tolerance.dot.relative * abs(ref) + Tolerance.dot.absolute
        #expect(abs(fast - ref) <= bound, "dot n=\(n): expected \(ref), observed \(fast), tolerance \(Tolerance.dot)")
    }

    // MARK: Normalisation and softmax

    @Test("st_rmsnorm_forward_f32 / st_rmsnorm_backward_f32, with and without weight", arguments: awkwardColumns)
    func rmsnorm(columns: Int) {
        for rows in [1, 3, 37] {
            var rng = TestRandom(seed: UInt64(rows * 1000 + columns))
            let count = rows * columns
            let x = rng.array(count, -3, 3), weight = rng.array(columns, 0.5, 1.5), dout = rng.array(count, -1, 1)
            let dweightStart = rng.array(columns, -1, 1)
            for useWeight in [false, true] {
                let w: [Float]? = useWeight ? weight : nil
                forEachThreadCount { threads in
                    let label = "[\(rows), \(columns)] weight=\(useWeight) threads=\(threads)"
                    var fast = [Float](repeating: -1, count: count), ref = fast
                    var rstdFast = [Float](repeating: -1, count: rows), rstdRef = rstdFast
                    st_rmsnorm_forward_f32(&fast, &rstdFast, x, w, Int64(rows), Int64(columns), 1e-5)
                    st_rmsnorm_forward_f32_ref(&ref, &rstdRef, x, w, Int64(rows), Int64(columns), 1e-5)
                    check("rmsnorm forward \(label)", fast, ref, .rowSum)
                    check("rmsnorm rstd \(label)", rstdFast, rstdRef, .rowSum)

                    var dwFast = dweightStart, dwRef = dweightStart
                    st_rmsnorm_backward_f32(&fast, &dwFast, dout, x, w, rstdRef, Int64(rows), Int64(columns))
                    st_rmsnorm_backward_f32_ref(&ref, &dwRef, dout, x, w, rstdRef, Int64(rows), Int64(columns))
                    check("rmsnorm dx \(label)", fast, ref, .cancelling)
                    // dweight: each column sums its rows in order, in double, in both paths.
                    check("rmsnorm dweight \(label)", dwFast, dwRef, .exact)
                }
            }
        }
    }

    @Test("rmsnorm dweight is bit-identical for 1, 2 and 3 threads")
    func rmsnormDeterministicAcrossThreads() {
        let (rows, columns) = (333, 577)
        var rng = TestRandom(seed: 4242)
        let x = rng.array(rows * columns, -3, 3), dout = rng.array(rows * columns, -1, 1)
        let rstd = rng.array(rows, 0.5, 1.5), weight = rng.array(columns, 0, 1)
        let saved = st_get_num_threads()
        defer { st_set_num_threads(saved) }
        var results: [[Float]] = []
        for threads: Int32 in [1, 2, 3] {
            st_set_num_threads(threads)
            var dx = [Float](repeating: 0, count: rows * columns), dweight = [Float](repeating: 0, count: columns)
            st_rmsnorm_backward_f32(&dx, &dweight, dout, x, weight, rstd, Int64(rows), Int64(columns))
            results.append(dweight)
        }
        #expect(results[0] == results[1] && results[0] == results[2], "dweight changed with the thread count")
    }

    @Test("st_softmax_forward_f32 / backward (scale 1 and 1/8; backward also in place)",
          arguments: awkwardColumns + [50_000])
    func softmax(columns: Int) {
        let rows = columns >= 10_000 ? 2 : 5
        var rng = TestRandom(seed: 3 + UInt64(columns))
        let count = rows * columns
        let x = rng.array(count, -10, 10), dy = rng.array(count, -1, 1)
        forEachThreadCount { threads in
            for scale: Float in [1, 0.125] {
                let label = "[\(rows), \(columns)] scale=\(scale) threads=\(threads)"
                var fast = [Float](repeating: -1, count: count), ref = fast
                st_softmax_forward_f32(&fast, x, Int64(rows), Int64(columns), scale)
                st_softmax_forward_f32_ref(&ref, x, Int64(rows), Int64(columns), scale)
                check("softmax forward \(label)", fast, ref, .expBased)

                let y = ref
                st_softmax_backward_f32(&fast, y, dy, Int64(rows), Int64(columns), scale)
                st_softmax_backward_f32_ref(&ref, y, dy, Int64(rows), Int64(columns), scale)
                check("softmax backward \(label)", fast, ref, .exact)
                var inPlace = dy
                inPlace.withUnsafeMutableBufferPointer { p in
                    st_softmax_backward_f32(p.baseAddress, y, p.baseAddress, Int64(rows), Int64(columns), scale)
                }
                check("softmax backward in place \(label)", inPlace, ref, .exact)
            }
        }
    }

    @Test("A fully masked softmax row (all -inf) gives zeros")
    func softmaxMaskedRow() {
        let x = [Float](repeating: -.infinity, count: 9)
        var fast = [Float](repeating: -1, count: 9), ref = fast
        st_softmax_forward_f32(&fast, x, 1, 9, 1)
        st_softmax_forward_f32_ref(&ref, x, 1, 9, 1)
        #expect(fast == [Float](repeating: 0, count: 9) && ref == fast, "fast \(fast), ref \(ref)")
    }

    @Test("st_log_softmax_forward_f32 / backward (backward also in place)", arguments: awkwardColumns + [50_000])
    func logSoftmax(columns: Int) {
        let rows = columns >= 10_000 ? 2 : 5
        var rng = TestRandom(seed: 11 + UInt64(columns))
        let count = rows * columns
        let x = rng.array(count, -10, 10), dy = rng.array(count, -1, 1)
        forEachThreadCount { threads in
            let label = "[\(rows), \(columns)] threads=\(threads)"
            var fast = [Float](repeating: -1, count: count), ref = fast
            st_log_softmax_forward_f32(&fast, x, Int64(rows), Int64(columns))
            st_log_softmax_forward_f32_ref(&ref, x, Int64(rows), Int64(columns))
            check("log_softmax forward \(label)", fast, ref, .rowSum)

            let y = ref
            st_log_softmax_backward_f32(&fast, y, dy, Int64(rows), Int64(columns))
            st_log_softmax_backward_f32_ref(&ref, y, dy, Int64(rows), Int64(columns))
            check("log_softmax backward \(label)", fast, ref, .cancelling)
            var inPlace = dy
            inPlace.withUnsafeMutableBufferPointer { p in
                st_log_softmax_backward_f32(p.baseAddress, y, p.baseAddress, Int64(rows), Int64(columns))
            }
            check("log_softmax backward in place \(label)", inPlace, ref, .cancelling)
        }
    }

    // MARK: Cross-entropy

    @Test("st_cross_entropy_forward_f32 / backward: weights, ignore_index, in-place backward",
          arguments: [1, 7, 8, 9, 576, 1000, 49_157])
    func crossEntropy(vocabulary: Int) {
        let rows = vocabulary > 10_000 ? 2 : 13
        let ignore: Int64 = -100
        var rng = TestRandom(seed: 17 + UInt64(vocabulary))
        let logits = rng.array(rows * vocabulary, -8, 8)
        let weights = rng.array(rows, 0, 2), dloss = rng.array(rows, 0.1, 1)
        let targets: [Int64] = (0..<rows).map { r in
            r % 5 == 3 ? ignore : Int64(rng.next(0, 1) * Float(vocabulary)) % Int64(vocabulary)
        }
        for useWeights in [false, true] {
            let w: [Float]? = useWeights ? weights : nil
            forEachThreadCount { threads in
                let label = "V=\(vocabulary) weights=\(useWeights) threads=\(threads)"
                var lossFast = [Float](repeating: -1, count: rows), lossRef = lossFast
                var lseFast = lossFast, lseRef = lossFast
                st_cross_entropy_forward_f32(&lossFast, &lseFast, logits, targets, w, Int64(rows), Int64(vocabulary),
                                             ignore)
                st_cross_entropy_forward_f32_ref(&lossRef, &lseRef, logits, targets, w, Int64(rows), Int64(vocabulary),
                                                 ignore)
                check("cross-entropy loss \(label)", lossFast, lossRef, .rowSum)
                check("cross-entropy lse \(label)", lseFast, lseRef, .rowSum)
                for r in 0..<rows where targets[r] == ignore {
                    #expect(lossFast[r] == 0, "ignored row \(r) has loss \(lossFast[r])")
                }

                var gradFast = [Float](repeating: -1, count: rows * vocabulary), gradRef = gradFast
                st_cross_entropy_backward_f32(&gradFast, logits, lseRef, targets, w, dloss, Int64(rows),
                                              Int64(vocabulary), ignore)
                st_cross_entropy_backward_f32_ref(&gradRef, logits, lseRef, targets, w, dloss, Int64(rows),
                                                  Int64(vocabulary), ignore)
                check("cross-entropy backward \(label)", gradFast, gradRef, .expBased)
                var inPlace = logits
                inPlace.withUnsafeMutableBufferPointer { p in
                    st_cross_entropy_backward_f32(p.baseAddress, p.baseAddress, lseRef, targets, w, dloss, Int64(rows),
                                                  Int64(vocabulary), ignore)
                }
                check("cross-entropy backward in place \(label)", inPlace, gradRef, .expBased)
            }
        }
    }

    // MARK: Rotary embedding

    @Test("st_rope_f32 forward and inverse, partial rotation, in place",
          arguments: [[1, 1, 2, 2], [3, 2, 16, 16], [5, 3, 18, 18], [4, 9, 64, 64], [2, 3, 64, 32], [3, 2, 34, 34],
                      [2, 2, 100, 98], [7, 1, 7, 6]])
    func rope(config: [Int]) {
        let (rows, heads, dim, rotated) = (config[0], config[1], config[2], config[3])
        let half = rotated / 2, maxPosition = 50
        var cosTable = [Float](repeating: 0, count: maxPosition * half), sinTable = cosTable
        for p in 0..<maxPosition {
            for i in 0..<half {
                let theta = Double(p) * pow10000(-2 * Double(i) / Double(rotated))
                cosTable[p * half + i] = Float(cos(theta))
                sinTable[p * half + i] = Float(sin(theta))
            }
        }
        let positions: [Int64] = (0..<rows).map { Int64(($0 * 7) % maxPosition) }
        var rng = TestRandom(seed: UInt64(dim * 100 + rotated))
        let count = rows * heads * dim
        let x = rng.array(count, -2, 2)
        forEachThreadCount { threads in
            for inverse: Int32 in [0, 1] {
                let label = "\(config) inverse=\(inverse) threads=\(threads)"
                var fast = [Float](repeating: -1, count: count), ref = fast
                st_rope_f32(&fast, x, cosTable, sinTable, positions, Int64(rows), Int64(heads), Int64(dim),
                            Int64(rotated), inverse)
                st_rope_f32_ref(&ref, x, cosTable, sinTable, positions, Int64(rows), Int64(heads), Int64(dim),
                                Int64(rotated), inverse)
                check("rope \(label)", fast, ref, .exact)
                var inPlace = x
                inPlace.withUnsafeMutableBufferPointer { p in
                    st_rope_f32(p.baseAddress, p.baseAddress, cosTable, sinTable, positions, Int64(rows), Int64(heads),
                                Int64(dim), Int64(rotated), inverse)
                }
                check("rope in place \(label)", inPlace, ref, .exact)
            }
        }
    }

    // MARK: Random numbers and dropout

    @Test("st_dropout_f32 matches its twin bit for bit (also in place)", arguments: awkwardSizes)
    func dropout(n: Int) {
        var rng = TestRandom(seed: 23 + UInt64(n))
        let x = rng.array(n, -1, 1)
        forEachThreadCount { threads in
            for p: Float in [0, 0.1, 0.5, 0.999, 1] {
                var fast = [Float](repeating: -1, count: n), ref = fast
                st_dropout_f32(&fast, x, Int64(n), p, 42, 1_234_567)
                st_dropout_f32_ref(&ref, x, Int64(n), p, 42, 1_234_567)
                check("dropout p=\(p) n=\(n) threads=\(threads)", fast, ref, .exact)
                var inPlace = x
                inPlace.withUnsafeMutableBufferPointer { b in
                    st_dropout_f32(b.baseAddress, b.baseAddress, Int64(n), p, 42, 1_234_567)
                }
                check("dropout in place p=\(p) n=\(n)", inPlace, ref, .exact)
            }
        }
    }

    @Test("st_random_bits is SplitMix64: seed s, counter i continues the stream seeded at 0")
    func randomBitsAreSplitMix64() {
        // The published SplitMix64 outputs for state 0 are E220A8397B1DCDAF, 6E789E6AA1B965F4, 06C45D188009454F;
        // output k of that generator is bits(seed: 1, i: k) == bits(seed: 0, i: golden * (k + 1)).
        #expect(st_random_bits(1, 0) == 0xE220_A839_7B1D_CDAF)
        #expect(st_random_bits(1, 0x9E37_79B9_7F4A_7C15) == 0x6E78_9E6A_A1B9_65F4)
        #expect(st_random_bits(0, 0x9E37_79B9_7F4A_7C15 &* 3) == 0x06C4_5D18_8009_454F)
    }

    @Test("Uniform and normal streams: formula, determinism, filling in pieces, mean and std")
    func randomStreams() {
        let n = 100_000
        let saved = st_get_num_threads()
        defer { st_set_num_threads(saved) }

        var uniform = [Float](repeating: 0, count: n)
        st_random_uniform_f32(&uniform, Int64(n), 9, 5, -1, 3)
        let u0 = Float(st_random_bits(9, 5) >> 40) * 0x1p-24
        #expect(uniform[0] == -1 + 4 * u0, "uniform[0]: expected \(-1 + 4 * u0), observed \(uniform[0])")
        #expect(uniform.allSatisfy { $0 >= -1 && $0 < 3 }, "uniform values outside [-1, 3)")
        let (uMean, uStd) = meanAndStd(uniform)
        #expect(abs(uMean - 1) < 0.02, "uniform(-1, 3) mean: expected 1, observed \(uMean), tolerance 0.02")
        #expect(abs(uStd - 4 / 12.0.squareRoot()) < 0.02,
                "uniform(-1, 3) std: expected \(4 / 12.0.squareRoot()), observed \(uStd), tolerance 0.02")

        var normal = [Float](repeating: 0, count: n)
        st_set_num_threads(2)
        st_random_normal_f32(&normal, Int64(n), 7, 0, 1, 2)
        // Element 0 by the documented Box-Muller formula on counters 0 and 1.
        let v1 = 1 - Double(st_random_bits(7, 0) >> 40) * 0x1p-24, v2 = Double(st_random_bits(7, 1) >> 40) * 0x1p-24
        let z0 = Float(1 + 2 * (-2 * log(v1)).squareRoot() * cos(2 * Double.pi * v2))
        #expect(normal[0] == z0, "normal[0]: expected \(z0), observed \(normal[0])")
        let (nMean, nStd) = meanAndStd(normal)
        #expect(abs(nMean - 1) < 0.03, "normal(1, 2) mean: expected 1, observed \(nMean), tolerance 0.03")
        #expect(abs(nStd - 2) < 0.03, "normal(1, 2) std: expected 2, observed \(nStd), tolerance 0.03")

        // Same (seed, offset) -> same numbers for any thread count, and a tensor can be filled in pieces.
        st_set_num_threads(1)
        var pieces = [Float](repeating: 0, count: n)
        pieces.withUnsafeMutableBufferPointer { p in
            st_random_normal_f32(p.baseAddress, 1000, 7, 0, 1, 2)
            st_random_normal_f32(p.baseAddress! + 1000, Int64(n - 1000), 7, 1000, 1, 2)
        }
        #expect(pieces == normal, "normal stream differs when filled in pieces on 1 thread")
        var otherSeed = [Float](repeating: 0, count: 16)
        st_random_normal_f32(&otherSeed, 16, 8, 0, 1, 2)
        #expect(Array(normal.prefix(16)) != otherSeed, "seeds 7 and 8 gave the same numbers")

        let ones = [Float](repeating: 1, count: n)
        var dropped = [Float](repeating: 0, count: n)
        st_dropout_f32(&dropped, ones, Int64(n), 0.3, 3, 0)
        let kept = Double(dropped.filter { $0 != 0 }.count) / Double(n)
        #expect(abs(kept - 0.7) < 0.01, "dropout p=0.3 keeps \(kept) of elements, expected 0.7 ± 0.01")
        #expect(dropped.allSatisfy { $0 == 0 || $0 == 1 / (1 - Float(0.3)) }, "kept elements must be scaled by 1/(1-p)")
    }
}

// MARK: - Argument and tolerance types (nested so that parameterised test methods can use them)

extension KernelParityTests {
    struct Tolerance: CustomStringConvertible, Sendable {
        let name: String
        /// Relative bound on |observed - expected| / |expected|.
        let relative: Double
        /// Absolute floor, as a fraction of max |expected| over the whole output (for outputs that cancel).
        let scaledAbsolute: Double
        /// Absolute floor in units (for results in the subnormal range).
        let absolute: Double

        var description: String {
            "\(name) (|Δ| ≤ \(relative)·|expected| + \(scaledAbsolute)·max|expected| + \(absolute))"
        }

        /// Same float operations in the same order: results must be bit-identical (NaN matches NaN).
        static let exact = Tolerance(name: "exact", relative: 0, scaledAbsolute: 0, absolute: 0)
        /// One vector-exp evaluation per element (~1 ulp of the result, plus one rounding of the formula).
        static let expBased = Tolerance(name: "expBased", relative: 2e-6, scaledAbsolute: 0, absolute: 1e-37)
        /// Vector tanh (Cephes split, ~2 ulp) against glibc's tanhf (~2 ulp).
        static let tanh = Tolerance(name: "tanh", relative: 3e-6, scaledAbsolute: 0, absolute: 1e-37)
        /// Row sums accumulated in double in both paths: only the summation order differs.
        static let rowSum = Tolerance(name: "rowSum", relative: 1e-6, scaledAbsolute: 0, absolute: 1e-6)
        /// Backward formulas that cancel (1 - y², 1 + x(1 - s), g - x̂·m): relative, plus a floor at the output
        /// scale.
        static let cancelling = Tolerance(name: "cancelling", relative: 2e-6, scaledAbsolute: 1e-6, absolute: 1e-30)
        /// Dot product: float products are exact in double, so only the summation order differs.
        static let dot = Tolerance(name: "dot", relative: 1e-12, scaledAbsolute: 0, absolute: 1e-12)
    }

    struct BinaryCase: Sendable, CustomTestStringConvertible {
        let name: String
        let raw: UInt32
        var op: st_binary_op { st_binary_op(rawValue: raw) }
        var testDescription: String { name }
        static let all = [
            BinaryCase(name: "add", raw: ST_ADD.rawValue), BinaryCase(name: "sub", raw: ST_SUB.rawValue),
            BinaryCase(name: "mul", raw: ST_MUL.rawValue), BinaryCase(name: "div", raw: ST_DIV.rawValue),
            BinaryCase(name: "max", raw: ST_MAX.rawValue), BinaryCase(name: "min", raw: ST_MIN.rawValue),
        ]
    }

    struct UnaryCase: Sendable, CustomTestStringConvertible {
        let name: String
        let raw: UInt32
        /// Input range: positive for log / sqrt / rsqrt, wide enough elsewhere to reach saturation and underflow.
        let low: Float, high: Float
        let forward: Tolerance
        let backward: Tolerance
        var op: st_unary_op { st_unary_op(rawValue: raw) }
        var testDescription: String { name }
        static let all = [
            UnaryCase(name: "exp", raw: ST_EXP.rawValue, low: -20, high: 20, forward: .expBased, backward: .exact),
            UnaryCase(name: "log", raw: ST_LOG.rawValue, low: 0.01, high: 50, forward: .exact, backward: .exact),
            UnaryCase(name: "sqrt", raw: ST_SQRT.rawValue, low: 0.01, high: 50, forward: .exact, backward: .exact),
            UnaryCase(name: "rsqrt", raw: ST_RSQRT.rawValue, low: 0.01, high: 50, forward: .exact, backward: .exact),
            UnaryCase(name: "tanh", raw: ST_TANH.rawValue, low: -6, high: 6, forward: .tanh, backward: .exact),
            UnaryCase(name: "sigmoid", raw: ST_SIGMOID.rawValue, low: -20, high: 20, forward: .expBased,
                      backward: .exact),
            UnaryCase(name: "silu", raw: ST_SILU.rawValue, low: -20, high: 20, forward: .expBased,
                      backward: .cancelling),
            UnaryCase(name: "gelu", raw: ST_GELU.rawValue, low: -6, high: 6, forward: .exact, backward: .exact),
            UnaryCase(name: "neg", raw: ST_NEG.rawValue, low: -5, high: 5, forward: .exact, backward: .exact),
            UnaryCase(name: "abs", raw: ST_ABS.rawValue, low: -5, high: 5, forward: .exact, backward: .exact),
            UnaryCase(name: "square", raw: ST_SQUARE.rawValue, low: -5, high: 5, forward: .exact, backward: .exact),
            UnaryCase(name: "reciprocal", raw: ST_RECIPROCAL.rawValue, low: 0.1, high: 5, forward: .exact,
                      backward: .exact),
        ]
    }
}

private typealias Tolerance = KernelParityTests.Tolerance
private typealias BinaryCase = KernelParityTests.BinaryCase
private typealias UnaryCase = KernelParityTests.UnaryCase

// MARK: - Small helpers

private func pow10000(_ exponent: Double) -> Double { exp(exponent * log(10_000.0)) }

private func meanAndStd(_ values: [Float]) -> (Double, Double) {
    var sum = 0.0, sumSquares = 0.0
    for v in values { sum += Double(v); sumSquares += Double(v) * Double(v) }
    let mean = sum / Double(values.count)
    return (mean, (sumSquares / Double(values.count) - mean * mean).squareRoot())
}

@Suite("Matrix–vector kernel")
struct MatvecKernelTests {
    /// Batch invariance: each row of y = x·Wᵀ has the same bits for every row count M (1 … 9: the four-lane M = 1
    /// body, the general M ≤ 4 body, groups of four beyond), for float32 and bfloat16 weights and in the fused call.
    @Test(arguments: [(576, 64), (131, 37), (1000, 8)])
    func rowsDoNotDependOnTheRowCount(_ n: Int, _ k: Int) {
        let seed = UInt64(n * 31 + k)
        let x = (0..<(9 * k)).map { Float(Int(st_random_bits(seed, UInt64($0)) % 2001) - 1000) / 997 }
        let w = (0..<(n * k)).map { Float(Int(st_random_bits(seed &+ 1, UInt64($0)) % 2001) - 1000) / 991 }
        let wb = w.map { UInt16(truncatingIfNeeded: $0.bitPattern >> 16) }
        var alone = [[Float]](), aloneBF16 = [[Float]]()
        for r in 0..<9 {
            var y = [Float](repeating: .nan, count: n), yb = y
            st_matvec_f32(&y, Array(x[(r * k)..<((r + 1) * k)]), w, 1, Int64(n), Int64(k))
            st_matvec_bf16_f32(&yb, Array(x[(r * k)..<((r + 1) * k)]), wb, 1, Int64(n), Int64(k))
            alone.append(y)
            aloneBF16.append(yb)
        }
        for m in 1...9 {
            var y = [Float](repeating: .nan, count: m * n), yb = y, ym = y
            st_matvec_f32(&y, x, w, Int64(m), Int64(n), Int64(k))
            st_matvec_bf16_f32(&yb, x, wb, Int64(m), Int64(n), Int64(k))
            ym.withUnsafeMutableBufferPointer { out in
                w.withUnsafeBufferPointer { wp in
                    let outputs: [UnsafeMutablePointer<Float>?] = [out.baseAddress]
                    let weights: [UnsafePointer<Float>?] = [wp.baseAddress]
                    st_matvec_multi_f32(outputs, weights, [Int64(n)], 1, x, Int64(m), Int64(k))
                }
            }
            for r in 0..<m {
                let row = (r * n)..<((r + 1) * n)
                #expect(Array(y[row]) == alone[r], "f32 M=\(m) row \(r)")
                #expect(Array(ym[row]) == alone[r], "multi M=\(m) row \(r)")
                #expect(Array(yb[row]) == aloneBF16[r], "bf16 M=\(m) row \(r)")
            }
        }
    }

    /// Several weights in one call equal one call per weight, fast and reference paths, threaded sizes included.
    @Test(arguments: [(1, [576, 192, 192], 576), (2, [7, 1, 33], 17), (4, [1536, 1536], 64), (5, [3, 130], 9)])
    func multiMatchesSeparateCalls(_ m: Int, _ ns: [Int], _ k: Int) {
        let seed = UInt64(m * 7919 + k)
        let x = (0..<(m * k)).map { Float(Int(st_random_bits(seed, UInt64($0)) % 2001) - 1000) / 1000 }
        let ws = ns.enumerated().map { i, n in
            (0..<(n * k)).map { Float(Int(st_random_bits(seed &+ UInt64(i + 1), UInt64($0)) % 2001) - 1000) / 1000 }
        }
        let expected = zip(ws, ns).map { w, n -> [Float] in
            var y = [Float](repeating: .nan, count: m * n)
            st_matvec_f32_ref(&y, x, w, Int64(m), Int64(n), Int64(k))
            return y
        }
        for fast in [true, false] {
            var ys = ns.map { [Float](repeating: .nan, count: m * $0) }
            var outputs = ys.indices.map { _ in UnsafeMutablePointer<Float>?.none }
            let buffers = ns.map { n -> UnsafeMutablePointer<Float> in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
                p.initialize(repeating: .nan, count: m * n)   // a row the kernel skips stays NaN and fails
                return p
            }
            defer { buffers.forEach { $0.deallocate() } }
            for i in buffers.indices { outputs[i] = buffers[i] }
            let weights = ws.map { w -> UnsafeMutablePointer<Float> in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: w.count)
                p.initialize(from: w, count: w.count)
                return p
            }
            defer { weights.forEach { $0.deallocate() } }
            let wPointers = weights.map { Optional(UnsafePointer($0)) }
            let n64 = ns.map(Int64.init)
            if fast {
                st_matvec_multi_f32(outputs, wPointers, n64, Int64(ns.count), x, Int64(m), Int64(k))
            } else {
                st_matvec_multi_f32_ref(outputs, wPointers, n64, Int64(ns.count), x, Int64(m), Int64(k))
            }
            for i in ns.indices { ys[i] = Array(UnsafeBufferPointer(start: buffers[i], count: m * ns[i])) }
            let tolerance = 1e-5 * Double(k).squareRoot()
            for (i, (y, e)) in zip(ys, expected).enumerated() {
                let d = zip(y, e).map { Swift.abs(Double($0) - Double($1)) }.max() ?? 0
                #expect(d <= tolerance, "fast \(fast) weight \(i) of \(ns) m \(m) k \(k): max difference \(d)")
            }
        }
    }

    @Test(arguments: [(1, 1, 1), (1, 7, 9), (3, 33, 17), (4, 130, 576), (2, 5, 40), (6, 9, 23), (1, 1537, 576),
                      (3, 515, 130)])
    func fastMatchesReference(_ m: Int, _ n: Int, _ k: Int) {
        let seed = UInt64(m * 1000 + n * 10 + k)
        let x = (0..<(m * k)).map { Float(Int(st_random_bits(seed, UInt64($0)) % 2001) - 1000) / 1000 }
        let w = (0..<(n * k)).map { Float(Int(st_random_bits(seed &+ 1, UInt64($0)) % 2001) - 1000) / 1000 }
        var fast = [Float](repeating: .nan, count: m * n), ref = fast
        st_matvec_f32(&fast, x, w, Int64(m), Int64(n), Int64(k))
        st_matvec_f32_ref(&ref, x, w, Int64(m), Int64(n), Int64(k))
        for i in 0..<(m * n) {
            let tolerance = 1e-5 * Double(k).squareRoot()
            #expect(Swift.abs(Double(fast[i]) - Double(ref[i])) <= tolerance,
                    "m \(m) n \(n) k \(k) index \(i): expected \(ref[i]), observed \(fast[i]), tolerance \(tolerance)")
        }
    }
}
