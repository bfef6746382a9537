// The NF4 kernels of CKernels (st_nf4.h): fast paths (AVX2+FMA when the CPU has it, threaded) against their
// scalar `_ref` twins on awkward sizes — counts that are not multiples of 64 or 256, odd counts, rows that start
// mid-byte and mid-block (in = 13, 100, 130), N below 4 (the matrix-vector path), N not a multiple of the 6-row
// micro-kernel, out / in not multiples of the 16-wide panels, contraction longer than one 256 tile — with 1 and 2
// threads.
//
// Tolerances: quantization and dequantization are exact (comparisons and single float32 operations), so fast and
// twin must agree bit for bit. The products sum in different orders; both are compared with a double-precision
// product of the dequantized weight, allowing 1e-5 · Σ|x||w| + 1e-7 per output (float32 summation error is about
// √K · 6e-8 of that sum for K terms; 1e-5 covers K up to a few thousand with margin). The fast paths must also be
// bit-identical for 1 and 2 threads (every output is written by one work item in a fixed order).
import CKernels
import Testing

/// xorshift64 test data, independent of the library's generators.
struct NF4Random {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> Float {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Float(state >> 40) * 0x1p-24
    }
    /// Roughly normal values (sum of 4 uniforms), scaled; every 37th is 0 and every 101st an outlier.
    mutating func weights(_ count: Int, scale: Float) -> [Float] {
        (0..<count).map { i in
            if i % 37 == 5 { return 0 }
            let v = (next() + next() + next() + next() - 2) * scale
            return i % 101 == 3 ? v * 20 : v
        }
    }
}

private func forEachThreadCount(_ body: (Int32) throws -> Void) rethrows {
    let saved = st_get_num_threads()
    defer { st_set_num_threads(saved) }
    for threads: Int32 in [1, 2] {
        st_set_num_threads(threads)
        try body(threads)
    }
}

/// Quantizes with the twin: (packed, absmax).
private func quantizeRef(_ w: [Float]) -> ([UInt8], [Float]) {
    var packed = [UInt8](repeating: 0xAA, count: (w.count + 1) / 2)
    var absmax = [Float](repeating: -1, count: (w.count + 63) / 64)
    st_nf4_quantize_f32_ref(&packed, &absmax, w, Int64(w.count))
    return (packed, absmax)
}

private func dequantizeRef(_ packed: [UInt8], _ absmax: [Float], count: Int) -> [Float] {
    var w = [Float](repeating: .nan, count: count)
    st_nf4_dequantize_f32_ref(&w, packed, absmax, Int64(count))
    return w
}

/// The first output outside 1e-5 · Σ|a||b| + 1e-7 of the double-precision `exact`, described; nil when all agree.
private func productMismatch(_ observed: [Float], exact: [Double], magnitude: [Double]) -> String? {
    guard observed.count == exact.count else { return "count: expected \(exact.count), observed \(observed.count)" }
    for i in 0..<exact.count {
        let tolerance = 1e-5 * magnitude[i] + 1e-7
        let diff = abs(Double(observed[i]) - exact[i])
        if !(diff <= tolerance) {
            return "index \(i): expected \(exact[i]), observed \(observed[i]), |diff| \(diff) > tolerance \(tolerance)"
        }
    }
    return nil
}

@Suite("NF4 kernels: fast paths match their twins")
struct NF4KernelTests {
    static let counts = [0, 1, 2, 7, 63, 64, 65, 127, 128, 200, 4129, 70_007]

    @Test(arguments: counts)
    func quantizeAndDequantizeAreBitIdentical(_ count: Int) {
        var rng = NF4Random(seed: UInt64(count) + 1)
        let w = rng.weights(count, scale: 0.05)
        let (packedRef, absmaxRef) = quantizeRef(w)
        let dequantRef = dequantizeRef(packedRef, absmaxRef, count: count)
        forEachThreadCount { threads in
            var packed = [UInt8](repeating: 0x55, count: (count + 1) / 2)
            var absmax = [Float](repeating: -2, count: (count + 63) / 64)
            st_nf4_quantize_f32(&packed, &absmax, w, Int64(count))
            #expect(firstByteDifference(packed, packedRef) == nil, "count \(count), \(threads) threads: packed")
            #expect(firstBitDifference(absmax, absmaxRef) == nil, "count \(count), \(threads) threads: absmax")
            var dequant = [Float](repeating: .nan, count: count)
            st_nf4_dequantize_f32(&dequant, packedRef, absmaxRef, Int64(count))
            #expect(firstBitDifference(dequant, dequantRef) == nil, "count \(count), \(threads) threads: dequantize")
        }
        // Round trip: every value is within half a code gap of its weight (the largest NF4 gap is 0.304·absmax).
        for i in 0..<count {
            let scale = absmaxRef[i / 64]
            #expect(abs(dequantRef[i] - w[i]) <= 0.16 * scale + 1e-30, "count \(count), element \(i)")
        }
    }

    @Test(arguments: [1, 2, 255, 256, 257, 1000, 4096, 40_000, 70_001])   // ≥ 128 blocks run on 2 threads
    func absmaxDoubleQuantizationIsBitIdentical(_ count: Int) {
        var rng = NF4Random(seed: UInt64(count) + 99)
        let absmax = (0..<count).map { i in i % 17 == 3 ? 0.5 : 0.01 + rng.next() * 0.1 }
        let offset = absmax.reduce(0, +) / Float(count)
        let blocks = (count + 255) / 256
        var codesRef = [UInt8](repeating: 0, count: count), scalesRef = [Float](repeating: 0, count: blocks)
        var codes = [UInt8](repeating: 1, count: count), scales = [Float](repeating: 1, count: blocks)
        st_nf4_absmax_quantize_f32_ref(&codesRef, &scalesRef, absmax, Int64(count), offset)
        forEachThreadCount { threads in
            codes = [UInt8](repeating: 1, count: count)
            scales = [Float](repeating: 1, count: blocks)
            st_nf4_absmax_quantize_f32(&codes, &scales, absmax, Int64(count), offset)
            #expect(firstByteDifference(codes, codesRef) == nil, "count \(count), \(threads) threads: codes")
            #expect(firstBitDifference(scales, scalesRef) == nil, "count \(count), \(threads) threads: absmax2")
        }
        var back = [Float](repeating: .nan, count: count), backRef = [Float](repeating: .nan, count: count)
        st_nf4_absmax_dequantize_f32_ref(&backRef, codesRef, scalesRef, Int64(count), offset)
        st_nf4_absmax_dequantize_f32(&back, codesRef, scalesRef, Int64(count), offset)
        #expect(firstBitDifference(back, backRef) == nil, "count \(count): dequantized absmax")
        // The 8-bit dynamic map keeps absmax to better than 1% of the block's spread.
        for i in 0..<count { #expect(abs(backRef[i] - absmax[i]) <= 0.01 * scalesRef[i / 256] + 1e-7) }
    }

    /// NaN, ±inf, ±0, subnormals, huge and tiny values, all-zero and all-NaN blocks, at sizes with short last blocks.
    @Test(arguments: [64, 65, 130, 4129, 70_007])
    func quantizeSpecialValuesAreBitIdentical(_ count: Int) {
        var rng = NF4Random(seed: UInt64(count) + 7)
        var w = rng.weights(count, scale: 0.05)
        let specials: [Float] = [.nan, -.nan, .infinity, -.infinity, 0, -0.0, .leastNonzeroMagnitude,
                                 -.leastNormalMagnitude, 1e30, -Float.leastNormalMagnitude / 4, .greatestFiniteMagnitude]
        for i in 0..<count {
            let r = Int(rng.next() * 1000)
            if r < 44 { w[i] = specials[r / 4] }
            if (i / 64) % 7 == 3 { w[i] = i % 3 == 0 ? -0.0 : 0 }   // zero blocks
            if (i / 64) % 11 == 5 { w[i] = .nan }                    // all-NaN blocks
        }
        let (packedRef, absmaxRef) = quantizeRef(w)
        forEachThreadCount { threads in
            var packed = [UInt8](repeating: 0x55, count: (count + 1) / 2)
            var absmax = [Float](repeating: -2, count: (count + 63) / 64)
            st_nf4_quantize_f32(&packed, &absmax, w, Int64(count))
            #expect(firstByteDifference(packed, packedRef) == nil, "count \(count), \(threads) threads: packed")
            #expect(firstBitDifference(absmax, absmaxRef) == nil, "count \(count), \(threads) threads: absmax")
        }
    }

    /// Every float within 200 ulps of every midpoint of a codebook (ties go to the lower code), as scaled values:
    /// each block also holds +1 and −1, so its absmax is 1 and the scale is exact.
    static func valuesAroundMidpoints(_ code: [Float], block: Int) -> [Float] {
        var values: [Float] = []
        for i in 0..<(code.count - 1) {
            let mid = (code[i] + code[i + 1]) / 2
            var up = mid, down = mid
            values.append(mid)
            for _ in 0..<200 { up = up.nextUp; down = down.nextDown; values += [up, down] }
        }
        var out: [Float] = []
        for chunk in stride(from: 0, to: values.count, by: block - 2) {
            out += [1, -1] + values[chunk..<min(chunk + block - 2, values.count)]
        }
        return out
    }

    @Test func quantizeTiesMatchTheTwin() {
        var codebook = [Float](repeating: 0, count: 16)
        st_nf4_codebook(&codebook)
        let w = Self.valuesAroundMidpoints(codebook, block: 64)
        let (packedRef, absmaxRef) = quantizeRef(w)
        forEachThreadCount { threads in
            var packed = [UInt8](repeating: 0x55, count: (w.count + 1) / 2)
            var absmax = [Float](repeating: -2, count: (w.count + 63) / 64)
            st_nf4_quantize_f32(&packed, &absmax, w, Int64(w.count))
            #expect(firstByteDifference(packed, packedRef) == nil, "\(threads) threads: packed")
            #expect(firstBitDifference(absmax, absmaxRef) == nil, "\(threads) threads: absmax")
        }
    }

    @Test func absmaxQuantizeTiesMatchTheTwin() {
        var map = [Float](repeating: 0, count: 256)
        st_nf4_dynamic_map(&map)
        let v = Self.valuesAroundMidpoints(map, block: 256)
        let blocks = (v.count + 255) / 256
        var codesRef = [UInt8](repeating: 0, count: v.count), scalesRef = [Float](repeating: 0, count: blocks)
        st_nf4_absmax_quantize_f32_ref(&codesRef, &scalesRef, v, Int64(v.count), 0)
        forEachThreadCount { threads in
            var codes = [UInt8](repeating: 1, count: v.count), scales = [Float](repeating: 1, count: blocks)
            st_nf4_absmax_quantize_f32(&codes, &scales, v, Int64(v.count), 0)
            #expect(firstByteDifference(codes, codesRef) == nil, "\(threads) threads: codes")
            #expect(firstBitDifference(scales, scalesRef) == nil, "\(threads) threads: absmax2")
        }
    }

    /// The offset's sum: the C kernel and its twin against a line-by-line transcription of torch's SumKernel.cpp.
    @Test(arguments: [0, 1, 2, 7, 8, 9, 31, 32, 33, 63, 64, 65, 255, 511, 512, 513, 1000, 4097, 65_541, 262_144, 300_001])
    func torchSumMatchesTranscription(_ count: Int) {
        var rng = NF4Random(seed: UInt64(count) + 3)
        let x = (0..<count).map { i in (rng.next() + 0.001) * (i % 13 == 0 ? 1000 : 1) }
        let expected = TorchSumTranscription.sum(x)
        #expect(st_nf4_torch_sum_f32(x, Int64(count)).bitPattern == expected.bitPattern, "count \(count): fast")
        #expect(st_nf4_torch_sum_f32_ref(x, Int64(count)).bitPattern == expected.bitPattern, "count \(count): twin")
    }

    /// (N, in, out).
    static let productShapes: [(Int, Int, Int)] = [
        (1, 13, 7), (3, 100, 3), (2, 64, 16), (4, 64, 16), (7, 96, 33), (13, 130, 40), (6, 576, 17), (20, 300, 50),
        (9, 640, 24), (1, 640, 37), (5, 13, 1),
    ]

    @Test(arguments: productShapes)
    func productsMatchTheirTwinsAndDenseProducts(_ shape: (Int, Int, Int)) {
        let (N, inF, outF) = shape
        var rng = NF4Random(seed: UInt64(N * 1_000_003 + inF * 1009 + outF))
        let (packed, absmax) = quantizeRef(rng.weights(inF * outF, scale: 0.04))
        let w = dequantizeRef(packed, absmax, count: inF * outF).map(Double.init)
        let x = rng.weights(N * inF, scale: 1), dy = rng.weights(N * outF, scale: 1)
        // Double-precision references and the Σ|a||b| that scales the tolerance.
        var y = [Double](repeating: 0, count: N * outF), yMagnitude = y
        var dx = [Double](repeating: 0, count: N * inF), dxMagnitude = dx
        for n in 0..<N {
            for o in 0..<outF {
                for k in 0..<inF {
                    let (a, b) = (Double(x[n * inF + k]), w[o * inF + k])
                    y[n * outF + o] += a * b
                    yMagnitude[n * outF + o] += abs(a * b)
                    let g = Double(dy[n * outF + o])
                    dx[n * inF + k] += g * b
                    dxMagnitude[n * inF + k] += abs(g * b)
                }
            }
        }
        let label = "N \(N), in \(inF), out \(outF)"
        var yRef = [Float](repeating: .nan, count: N * outF), dxRef = [Float](repeating: .nan, count: N * inF)
        st_nf4_matmul_f32_ref(&yRef, x, packed, absmax, Int64(N), Int64(inF), Int64(outF))
        st_nf4_matmul_backward_input_f32_ref(&dxRef, dy, packed, absmax, Int64(N), Int64(inF), Int64(outF))
        #expect(productMismatch(yRef, exact: y, magnitude: yMagnitude) == nil, "\(label): y twin")
        #expect(productMismatch(dxRef, exact: dx, magnitude: dxMagnitude) == nil, "\(label): dx twin")
        var firstY: [Float]?, firstDX: [Float]?
        forEachThreadCount { threads in
            var yFast = [Float](repeating: .nan, count: N * outF), dxFast = [Float](repeating: .nan, count: N * inF)
            st_nf4_matmul_f32(&yFast, x, packed, absmax, Int64(N), Int64(inF), Int64(outF))
            st_nf4_matmul_backward_input_f32(&dxFast, dy, packed, absmax, Int64(N), Int64(inF), Int64(outF))
            let my = productMismatch(yFast, exact: y, magnitude: yMagnitude)
            #expect(my == nil, "\(label), \(threads) threads: y \(my ?? "")")
            let mdx = productMismatch(dxFast, exact: dx, magnitude: dxMagnitude)
            #expect(mdx == nil, "\(label), \(threads) threads: dx \(mdx ?? "")")
            if let firstY, let firstDX {
                #expect(firstBitDifference(yFast, firstY) == nil, "\(label): y depends on the thread count")
                #expect(firstBitDifference(dxFast, firstDX) == nil, "\(label): dx depends on the thread count")
            }
            (firstY, firstDX) = (yFast, dxFast)
        }
    }

    @Test(arguments: [(64, 5), (128, 33), (576, 40), (4096, 3), (100, 9), (2050, 4)])
    func matrixVectorMatchesItsTwin(_ shape: (Int, Int)) {
        let (inF, outF) = shape
        var rng = NF4Random(seed: UInt64(inF * 31 + outF))
        let (packed, absmax) = quantizeRef(rng.weights(inF * outF, scale: 0.03))
        let w = dequantizeRef(packed, absmax, count: inF * outF)
        let x = rng.weights(inF, scale: 1)
        var exact = [Double](repeating: 0, count: outF), magnitude = exact
        for o in 0..<outF {
            for k in 0..<inF {
                exact[o] += Double(w[o * inF + k]) * Double(x[k])
                magnitude[o] += abs(Double(w[o * inF + k]) * Double(x[k]))
            }
        }
        var yRef = [Float](repeating: .nan, count: outF)
        st_nf4_matvec_f32_ref(&yRef, x, packed, absmax, Int64(inF), Int64(outF))
        #expect(productMismatch(yRef, exact: exact, magnitude: magnitude) == nil, "in \(inF), out \(outF): twin")
        forEachThreadCount { threads in
            var y = [Float](repeating: .nan, count: outF)
            st_nf4_matvec_f32(&y, x, packed, absmax, Int64(inF), Int64(outF))
            let m = productMismatch(y, exact: exact, magnitude: magnitude)
            #expect(m == nil, "in \(inF), out \(outF), \(threads) threads: \(m ?? "")")
        }
    }
}

/// torch's float32 sum on an AVX2 CPU (aten/src/ATen/native/cpu/SumKernel.cpp: cascade_sum → vectorized_inner_sum →
/// row_sum → multi_row_sum), transcribed line by line; SwiftTuneCore computed the double-quantization offset with
/// this code before `st_nf4_torch_sum_f32`, and the bitsandbytes fixtures pin it.
enum TorchSumTranscription {
    static func sum(_ x: [Float]) -> Float {
        let lanes = 8
        let vectors = x.count / lanes
        if vectors == 0 { return rowSum(count: x.count, width: 1) { i, _ in x[i] }[0] }
        let partials = rowSum(count: vectors, width: lanes) { i, k in x[i * lanes + k] }
        var total: Float = 0
        for k in (vectors * lanes)..<x.count { total += x[k] }
        for k in 0..<lanes { total += partials[k] }
        return total
    }

    /// torch's `row_sum`: `count` rows of `width` lanes, 4 independent accumulators, then the leftover rows.
    private static func rowSum(count: Int, width: Int, _ load: (Int, Int) -> Float) -> [Float] {
        let ilp = 4
        let groups = count / ilp
        var partial = multiRowSum(groups: groups, ilp: ilp, width: width) { g, r, k in load(g * ilp + r, k) }
        for i in (groups * ilp)..<count { for k in 0..<width { partial[0][k] += load(i, k) } }
        for r in 1..<ilp { for k in 0..<width { partial[0][k] += partial[r][k] } }
        return partial[0]
    }

    /// torch's `multi_row_sum`: a four-level cascade over `groups` groups of `ilp` rows.
    private static func multiRowSum(groups size: Int, ilp: Int, width: Int,
                                    _ load: (Int, Int, Int) -> Float) -> [[Float]] {
        let levels = 4
        let ceilLog2 = size <= 1 ? 0 : Int.bitWidth - (size - 1).leadingZeroBitCount
        let levelPower = max(4, ceilLog2 / levels)
        let levelStep = 1 << levelPower, levelMask = levelStep - 1
        let zero = [[Float]](repeating: [Float](repeating: 0, count: width), count: ilp)
        var acc = [[[Float]]](repeating: zero, count: levels)
        var i = 0
        while i + levelStep <= size {
            for _ in 0..<levelStep {
                for r in 0..<ilp { for k in 0..<width { acc[0][r][k] += load(i, r, k) } }
                i += 1
            }
            for j in 1..<levels {
                for r in 0..<ilp { for k in 0..<width { acc[j][r][k] += acc[j - 1][r][k]; acc[j - 1][r][k] = 0 } }
                if i & (levelMask << (j * levelPower)) != 0 { break }
            }
        }
        while i < size {
            for r in 0..<ilp { for k in 0..<width { acc[0][r][k] += load(i, r, k) } }
            i += 1
        }
        for j in 1..<levels { for r in 0..<ilp { for k in 0..<width { acc[0][r][k] += acc[j][r][k] } } }
        return acc[0]
    }
}
