// The attention kernels of CKernels (st_attention.h): the tiled fast paths (AVX2+FMA when the CPU has it, threaded)
// against their scalar `_ref` twins on awkward shapes — grouped-query heads (H = 9, KV = 3), head dims that are not
// multiples of 8, lengths that are not multiples of the tiles, packed rows with padding, sliding windows, a
// continuation (q_offset > 0, S > T), a non-causal case — with 1 and 2 threads; the decode path against its twin;
// and the two mask helpers exhaustively against a brute-force definition on every segmentation of T <= 6.
//
// Tolerances: the twins accumulate in double, the fast paths in float (and use the vector exp), so results agree to
// about 1e-6 relative to the largest magnitude of a tensor; we allow 1e-5 relative plus 1e-5 · max|expected| plus an
// absolute 1e-6 (gradients that cancel to exactly 0 in double come out as rounding residue in float). The fast paths
// must also be bit-identical for 1 and 2 threads (every output is written by one work item in a fixed order).
// Sizes are small so that the whole file runs well under a second in a debug build.
import CKernels
import Testing

// MARK: - Helpers

/// xorshift64 test data, independent of the library's generators.
private struct AttentionRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
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

/// First element with |observed − expected| > 1e-5·|expected| + 1e-5·max|expected| + 1e-6 (infinities must match),
/// described for the failure message; nil when all match.
private func attentionMismatch(_ observed: [Float], _ expected: [Float]) -> String? {
    guard observed.count == expected.count else {
        return "count: expected \(expected.count), observed \(observed.count)"
    }
    let relative = 1e-5, scaled = 1e-5, absolute = 1e-6
    var scale = 0.0
    for e in expected where e.isFinite { scale = max(scale, Double(abs(e))) }
    let floor = scaled * scale + absolute
    for i in 0..<expected.count {
        let want = expected[i], got = observed[i]
        let ok: Bool
        if want.isNaN || got.isNaN {
            ok = false
        } else if want.isInfinite || got.isInfinite {
            ok = want == got
        } else {
            ok = Double(abs(got - want)) <= relative * Double(abs(want)) + floor
        }
        if !ok {
            return "index \(i) of \(expected.count): expected \(want), observed \(got), tolerance "
                + "\(relative)·|expected| + \(scaled)·\(scale) + \(absolute)"
        }
    }
    return nil
}

private func expectClose(_ what: String, _ observed: [Float], _ expected: [Float],
                         sourceLocation: SourceLocation = #_sourceLocation) {
    let failure = attentionMismatch(observed, expected)
    #expect(failure == nil, "\(what): \(failure ?? "")", sourceLocation: sourceLocation)
}

private func withOptionalSegments<R>(_ seg: [Int32]?, _ body: (UnsafePointer<Int32>?) -> R) -> R {
    guard let seg else { return body(nil) }
    return seg.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// Segment ids of one row: consecutive segments of the given lengths, then padding (−1) up to `length`.
private func segmentRow(_ lengths: [Int], length: Int) -> [Int32] {
    var row: [Int32] = []
    for (id, n) in lengths.enumerated() { row += [Int32](repeating: Int32(id), count: n) }
    return row + [Int32](repeating: -1, count: length - row.count)
}

/// The visibility rule, brute force: same (non-padding) segment, causal, within the window.
private func bruteVisible(_ seg: [Int32], _ i: Int, _ j: Int, causal: Bool, window: Int) -> Bool {
    seg[i] >= 0 && seg[i] == seg[j] && (!causal || j <= i) && (window == 0 || i - j < window)
}

/// Every list of positive lengths summing to n (2^(n-1) of them; one empty list for n = 0).
private func compositions(_ n: Int) -> [[Int]] {
    if n == 0 { return [[]] }
    var result: [[Int]] = []
    for first in 1...n {
        for rest in compositions(n - first) { result.append([first] + rest) }
    }
    return result
}

/// Every segmentation of a row of length T: segments covering a prefix, padding after it.
private func segmentations(_ T: Int) -> [[Int]] {
    (0...T).flatMap { compositions($0) }
}

extension AttentionKernelTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let B: Int, T: Int, S: Int, H: Int, KV: Int, D: Int
        var causal = true
        var window = 0
        var qOffset = 0
        /// Segment lengths per row (nil: seg = NULL, one segment without padding).
        var segments: [[Int]]? = nil
        var testDescription: String { name }

        var params: st_attention_params {
            st_attention_params(B: Int64(B), T: Int64(T), S: Int64(S), H: Int64(H), KV: Int64(KV), D: Int64(D),
                                scale: 1 / Float(D).squareRoot(), causal: causal ? 1 : 0, window: Int64(window),
                                q_offset: Int64(qOffset))
        }

        var segmentIDs: [Int32]? { segments.map { rows in rows.flatMap { segmentRow($0, length: S) } } }

        static let all: [Case] = [
            Case(name: "GQA 9/3, D=7, T=37, dense causal", B: 1, T: 37, S: 37, H: 9, KV: 3, D: 7),
            Case(name: "T=1, D=33", B: 2, T: 1, S: 1, H: 9, KV: 3, D: 33),
            Case(name: "packed rows with padding, D=33, T=70", B: 2, T: 70, S: 70, H: 4, KV: 2, D: 33,
                 segments: [[10, 29, 7, 1, 15], [64]]),
            Case(name: "packed, sliding window 5, D=16, T=37", B: 1, T: 37, S: 37, H: 2, KV: 1, D: 16, window: 5,
                 segments: [[20, 17]]),
            Case(name: "continuation q_offset=32, S=37, T=5, D=33", B: 1, T: 5, S: 37, H: 6, KV: 2, D: 33,
                 qOffset: 32),
            Case(name: "continuation with segments and window", B: 1, T: 9, S: 40, H: 3, KV: 1, D: 12, window: 11,
                 qOffset: 31, segments: [[25, 13]]),
            Case(name: "non-causal packed, D=5", B: 1, T: 21, S: 21, H: 2, KV: 2, D: 5, causal: false,
                 segments: [[8, 9]]),
        ]
    }
}

/// Runs `body` with 1 and then 2 kernel threads, restoring the previous count.
private func withThreadCounts(_ body: (Int32) -> Void) {
    let saved = st_get_num_threads()
    defer { st_set_num_threads(saved) }
    for threads: Int32 in [1, 2] {
        st_set_num_threads(threads)
        body(threads)
    }
}

// MARK: - Tests

@Suite("Attention kernels: tiled fast paths match their scalar twins")
struct AttentionKernelTests {
    @Test("Forward and backward, fast vs _ref", arguments: Case.all)
    func forwardBackward(c: Case) {
        var rng = AttentionRandom(seed: UInt64(c.T * 1000 + c.D))
        let nq = c.B * c.T * c.H * c.D, nk = c.B * c.S * c.KV * c.D, nl = c.B * c.H * c.T
        let q = rng.array(nq, -2, 2), k = rng.array(nk, -2, 2), v = rng.array(nk, -1, 1), dout = rng.array(nq, -1, 1)
        let seg = c.segmentIDs, p = c.params

        var outRef = [Float](repeating: .nan, count: nq), lseRef = [Float](repeating: .nan, count: nl)
        var dqRef = [Float](repeating: .nan, count: nq), dkRef = [Float](repeating: .nan, count: nk), dvRef = dkRef
        withOptionalSegments(seg) { s in
            st_attention_forward_f32_ref(&outRef, &lseRef, q, k, v, s, p)
            st_attention_backward_f32_ref(&dqRef, &dkRef, &dvRef, dout, q, k, v, outRef, lseRef, s, p)
        }

        var firstRun: [[Float]]? = nil
        withThreadCounts { threads in
            var out = [Float](repeating: .nan, count: nq), lse = [Float](repeating: .nan, count: nl)
            var dq = [Float](repeating: .nan, count: nq), dk = [Float](repeating: .nan, count: nk), dv = dk
            withOptionalSegments(seg) { s in
                st_attention_forward_f32(&out, &lse, q, k, v, s, p)
                st_attention_backward_f32(&dq, &dk, &dv, dout, q, k, v, outRef, lseRef, s, p)
            }
            let tag = "\(c.name), threads=\(threads)"
            expectClose("out \(tag)", out, outRef)
            expectClose("lse \(tag)", lse, lseRef)
            expectClose("dq \(tag)", dq, dqRef)
            expectClose("dk \(tag)", dk, dkRef)
            expectClose("dv \(tag)", dv, dvRef)
            if let first = firstRun {
                #expect(first == [out, lse, dq, dk, dv], "\(c.name): results differ between 1 and 2 threads")
            } else {
                firstRun = [out, lse, dq, dk, dv]
            }
        }

        // Gradients may be requested one at a time (the others NULL) and come out the same.
        var dkOnly = [Float](repeating: .nan, count: nk)
        withOptionalSegments(seg) { s in
            st_attention_backward_f32(nil, &dkOnly, nil, dout, q, k, v, outRef, lseRef, s, p)
        }
        expectClose("dk alone \(c.name)", dkOnly, dkRef)

        // Padding: queries of padded positions give out = 0, lse = -inf, dq = 0; padded keys get dk = dv = 0.
        if let seg {
            let fast = firstRun ?? []
            for b in 0..<c.B {
                for i in 0..<c.T {
                    let pos = c.qOffset + i
                    guard pos >= c.S || seg[b * c.S + pos] < 0 else { continue }
                    for h in 0..<c.H {
                        #expect(fast[1][(b * c.H + h) * c.T + i] == -.infinity,
                                "\(c.name): lse of padded query \(i): expected -inf, observed \(fast[1][(b * c.H + h) * c.T + i])")
                        let base = ((b * c.T + i) * c.H + h) * c.D
                        #expect(fast[0][base..<(base + c.D)].allSatisfy { $0 == 0 }, "\(c.name): out of padded query \(i) must be 0")
                        #expect(fast[2][base..<(base + c.D)].allSatisfy { $0 == 0 }, "\(c.name): dq of padded query \(i) must be 0")
                    }
                }
                for j in 0..<c.S where seg[b * c.S + j] < 0 {
                    let base = (b * c.S + j) * c.KV * c.D
                    #expect(fast[3][base..<(base + c.KV * c.D)].allSatisfy { $0 == 0 }, "\(c.name): dk of padded key \(j) must be 0")
                    #expect(fast[4][base..<(base + c.KV * c.D)].allSatisfy { $0 == 0 }, "\(c.name): dv of padded key \(j) must be 0")
                }
            }
        }
    }

    @Test("Decode against a head-major KV cache, fast vs _ref", arguments: [0, 8])
    func decode(window: Int) {
        let B = 4, H = 9, KV = 3, D = 33, capacity = 40
        var rng = AttentionRandom(seed: 99 + UInt64(window))
        let q = rng.array(B * H * D, -2, 2)
        var kc = rng.array(B * KV * capacity * D, -2, 2), vc = rng.array(B * KV * capacity * D, -1, 1)
        let lengths: [Int64] = [40, 0, 17, 3]
        // Slots past each row's length must never be read: poison them.
        for b in 0..<B {
            for g in 0..<KV {
                for j in Int(lengths[b])..<capacity {
                    for d in 0..<D {
                        kc[((b * KV + g) * capacity + j) * D + d] = .nan
                        vc[((b * KV + g) * capacity + j) * D + d] = .nan
                    }
                }
            }
        }
        let scale = 1 / Float(D).squareRoot()
        var expected = [Float](repeating: .nan, count: B * H * D)
        st_attention_decode_f32_ref(&expected, q, kc, vc, lengths, Int64(B), Int64(H), Int64(KV), Int64(D),
                                    Int64(capacity), scale, Int64(window))
        #expect(expected[(1 * H) * D..<(2 * H) * D].allSatisfy { $0 == 0 }, "decode: a row with no keys gives 0")
        withThreadCounts { threads in
            var out = [Float](repeating: .nan, count: B * H * D)
            st_attention_decode_f32(&out, q, kc, vc, lengths, Int64(B), Int64(H), Int64(KV), Int64(D),
                                    Int64(capacity), scale, Int64(window))
            expectClose("decode window=\(window) threads=\(threads)", out, expected)
        }
    }

    @Test("Decode with rows in cache slots equals decode of the rows gathered, and its _ref twin", arguments: [0, 8])
    func decodeSlots(window: Int) {
        let slots = 5, H = 9, KV = 3, D = 33, capacity = 40
        var rng = AttentionRandom(seed: 7 + UInt64(window))
        let kc = rng.array(slots * KV * capacity * D, -2, 2), vc = rng.array(slots * KV * capacity * D, -1, 1)
        let rows: [Int64] = [3, 0, 4], lengths: [Int64] = [40, 17, 1]
        let B = rows.count
        let q = rng.array(B * H * D, -2, 2)
        let scale = 1 / Float(D).squareRoot()
        // The same rows copied to slots 0 ..< B of a compact cache.
        var gatheredK = [Float](), gatheredV = [Float]()
        let slotFloats = KV * capacity * D
        for s in rows {
            gatheredK += kc[(Int(s) * slotFloats)..<((Int(s) + 1) * slotFloats)]
            gatheredV += vc[(Int(s) * slotFloats)..<((Int(s) + 1) * slotFloats)]
        }
        var compact = [Float](repeating: .nan, count: B * H * D)
        st_attention_decode_f32(&compact, q, gatheredK, gatheredV, lengths, Int64(B), Int64(H), Int64(KV), Int64(D),
                                Int64(capacity), scale, Int64(window))
        var expected = [Float](repeating: .nan, count: B * H * D)
        st_attention_decode_slots_f32_ref(&expected, q, kc, vc, lengths, rows, Int64(B), Int64(H), Int64(KV), Int64(D),
                                          Int64(capacity), scale, Int64(window))
        withThreadCounts { threads in
            var out = [Float](repeating: .nan, count: B * H * D)
            st_attention_decode_slots_f32(&out, q, kc, vc, lengths, rows, Int64(B), Int64(H), Int64(KV), Int64(D),
                                          Int64(capacity), scale, Int64(window))
            #expect(out == compact, "slots: the same bits as the gathered rows (threads=\(threads))")
            expectClose("decode slots window=\(window) threads=\(threads)", out, expected)
        }
        // A row alone gives the same bits as in the batch.
        var alone = [Float](repeating: .nan, count: H * D)
        st_attention_decode_slots_f32(&alone, Array(q[(2 * H * D)...]), kc, vc, [lengths[2]], [rows[2]], 1, Int64(H),
                                      Int64(KV), Int64(D), Int64(capacity), scale, Int64(window))
        #expect(alone == Array(compact[(2 * H * D)...]))
    }

    @Test("Chunked prefill against a head-major cache, fast vs _ref, and chunks equal one pass",
          arguments: [(0, 33), (8, 16), (0, 64)])
    func cachedPrefill(window: Int, D: Int) {
        let H = 9, KV = 3, capacity = 150, T = 130
        var rng = AttentionRandom(seed: 31 + UInt64(window + D))
        var kc = rng.array(KV * capacity * D, -2, 2), vc = rng.array(KV * capacity * D, -1, 1)
        for g in 0..<KV { for j in T..<capacity { for d in 0..<D {   // never read: positions past the chunk
            kc[(g * capacity + j) * D + d] = .nan
            vc[(g * capacity + j) * D + d] = .nan
        } } }
        let q = rng.array(T * H * D, -2, 2)
        let scale = 1 / Float(D).squareRoot()
        var expected = [Float](repeating: .nan, count: T * H * D)
        st_attention_cached_f32_ref(&expected, q, kc, vc, Int64(T), 0, Int64(H), Int64(KV), Int64(D), Int64(capacity),
                                    scale, Int64(window))
        withThreadCounts { threads in
            var out = [Float](repeating: .nan, count: T * H * D)
            st_attention_cached_f32(&out, q, kc, vc, Int64(T), 0, Int64(H), Int64(KV), Int64(D), Int64(capacity), scale,
                                    Int64(window))
            expectClose("cached one pass window=\(window) D=\(D) threads=\(threads)", out, expected)
            // Chunks [0, 50), [50, 97), [97, 130) at their offsets: the twin's numbers again.
            var chunked = [Float](repeating: .nan, count: T * H * D)
            for (start, end) in [(0, 50), (50, 97), (97, 130)] {
                var part = [Float](repeating: .nan, count: (end - start) * H * D)
                st_attention_cached_f32(&part, Array(q[(start * H * D)..<(end * H * D)]), kc, vc, Int64(end - start),
                                        Int64(start), Int64(H), Int64(KV), Int64(D), Int64(capacity), scale, Int64(window))
                chunked.replaceSubrange((start * H * D)..<(end * H * D), with: part)
            }
            expectClose("cached chunks window=\(window) D=\(D) threads=\(threads)", chunked, expected)
        }
        // The same as the forward pass with the keys in its [S, KV, D] layout and q_offset.
        var k = [Float](repeating: 0, count: T * KV * D), v = k
        for j in 0..<T { for g in 0..<KV { for d in 0..<D {
            k[(j * KV + g) * D + d] = kc[(g * capacity + j) * D + d]
            v[(j * KV + g) * D + d] = vc[(g * capacity + j) * D + d]
        } } }
        var forward = [Float](repeating: .nan, count: T * H * D), lse = [Float](repeating: 0, count: H * T)
        let p = st_attention_params(B: 1, T: Int64(T), S: Int64(T), H: Int64(H), KV: Int64(KV), D: Int64(D), scale: scale,
                                    causal: 1, window: Int64(window), q_offset: 0)
        st_attention_forward_f32(&forward, &lse, q, k, v, nil, p)
        expectClose("cached vs forward window=\(window) D=\(D)", forward, expected)
    }

    @Test("st_mask_dense matches the brute-force rule on every segmentation of T <= 6, windows 0...3")
    func maskDense() {
        var checked = 0, failures: [String] = []
        for T in 0...6 {
            let rows = segmentations(T)
            for (index, lengths) in rows.enumerated() {
                // Two rows per call, so that the row offset is exercised too.
                let seg = segmentRow(lengths, length: T) + segmentRow(rows[(index + 1) % rows.count], length: T)
                for causal in [false, true] {
                    for window in 0...3 {
                        var mask = [Float](repeating: .nan, count: 2 * T * T)
                        st_mask_dense(&mask, seg, 2, Int64(T), causal ? 1 : 0, Int64(window))
                        for b in 0..<2 {
                            let row = Array(seg[(b * T)..<((b + 1) * T)])
                            for i in 0..<T {
                                for j in 0..<T {
                                    let want: Float = bruteVisible(row, i, j, causal: causal, window: window) ? 0 : -.infinity
                                    let got = mask[(b * T + i) * T + j]
                                    checked += 1
                                    if got != want && failures.count < 5 {
                                        failures.append("T=\(T) row \(row) causal=\(causal) window=\(window) [\(i), \(j)]: expected \(want), observed \(got)")
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(failures.isEmpty, "st_mask_dense (\(checked) entries checked): \(failures)")

        // seg == NULL is one segment without padding.
        var mask = [Float](repeating: .nan, count: 9)
        st_mask_dense(&mask, nil, 1, 3, 1, 2)
        let hidden = -Float.infinity
        let expectedMask: [Float] = [0, hidden, hidden, 0, 0, hidden, hidden, 0, 0]
        #expect(mask == expectedMask, "st_mask_dense without segments, causal, window 2: expected \(expectedMask), observed \(mask)")

        // Segments are contiguous runs: an id that reappears after another id starts a new segment.
        var runs = [Float](repeating: .nan, count: 16)
        st_mask_dense(&runs, [0, 0, 1, 0], 1, 4, 1, 0)
        let lastRow = Array(runs[12..<16]), expectedRow: [Float] = [hidden, hidden, hidden, 0]
        #expect(lastRow == expectedRow, "a reappearing id starts a new run: expected \(expectedRow), observed \(lastRow)")
    }

    @Test("st_mask_from_cu_seqlens matches the brute-force rule on every segmentation of T <= 6, windows 0...3")
    func maskFromCuSeqlens() {
        var failures: [String] = []
        for T in 0...6 {
            for lengths in segmentations(T) {
                var cu: [Int32] = [0]
                for n in lengths { cu.append(cu.last! + Int32(n)) }
                let expectedSeg = segmentRow(lengths, length: T)
                for window in 0...3 {
                    var seg = [Int32](repeating: 99, count: T), keyStart = seg
                    let rc = st_mask_from_cu_seqlens(&seg, &keyStart, cu, Int64(lengths.count), Int64(T), Int64(window))
                    let expectedStart = (0..<T).map { i -> Int32 in
                        Int32((0...i).first { bruteVisible(expectedSeg, i, $0, causal: true, window: window) } ?? -1)
                    }
                    if rc != 0 || seg != expectedSeg || keyStart != expectedStart, failures.count < 5 {
                        failures.append("cu \(cu) T=\(T) window=\(window): expected rc 0, seg \(expectedSeg), key_start "
                            + "\(expectedStart); observed rc \(rc), seg \(seg), key_start \(keyStart)")
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures)")

        // Empty segments are allowed; ids count every segment.
        var seg = [Int32](repeating: 99, count: 4), keyStart = seg
        #expect(st_mask_from_cu_seqlens(&seg, &keyStart, [0, 0, 3], 2, 4, 0) == 0)
        #expect(seg == [1, 1, 1, -1] && keyStart == [0, 0, 0, -1],
                "cu [0, 0, 3], T=4: expected seg [1, 1, 1, -1], key_start [0, 0, 0, -1]; observed \(seg), \(keyStart)")

        // Invalid descriptions are rejected and nothing is written.
        let invalid: [([Int32], Int64)] = [([1, 3], 1), ([0, 3, 2], 2), ([0, 2, 5], 2), ([0, -1], 1)]
        for (cu, n) in invalid {
            var s = [Int32](repeating: 99, count: 4), ks = s
            let rc = st_mask_from_cu_seqlens(&s, &ks, cu, n, 4, 0)
            #expect(rc == -1 && s == [99, 99, 99, 99] && ks == [99, 99, 99, 99],
                    "cu \(cu): expected rc -1 and untouched outputs; observed rc \(rc), seg \(s), key_start \(ks)")
        }
    }
}
