/// The per-block scales (absmax) of an ``NF4Weight``: float32, or themselves quantized to 8 bits.
public enum NF4Scales: Sendable, Equatable {
    /// One float32 absmax per block of 64 weights.
    case float32([Float])
    /// QLoRA's double quantization (bitsandbytes `compress_statistics=True`).
    case doubleQuantized(NF4QuantizedScales)

    /// The number of absmax values (blocks of the weight).
    public var count: Int {
        switch self {
        case let .float32(values): return values.count
        case let .doubleQuantized(q): return q.codes.count
        }
    }

    /// The absmax values in float32 (decoded when double-quantized).
    public func absmax() -> [Float] {
        switch self {
        case let .float32(values): return values
        case let .doubleQuantized(q): return q.dequantize()
        }
    }
}

/// Double-quantized absmax (QLoRA, Dettmers et al. 2023, section 3 "Double Quantization"; bitsandbytes'
/// `QuantState.absmax` + `state2` + `offset` when `compress_statistics=True`).
///
/// The absmax values `a` [count] are centred on their mean (`offset`) and quantized blockwise, 256 values per block,
/// with bitsandbytes' signed 8-bit dynamic map (`create_dynamic_map(signed=True)`, ``code``):
///
///     absmax[j]  = max |a[i] − offset| over block j                   (float32, ceil(count / 256) values)
///     codes[i]   = the dynamic-map entry nearest (a[i] − offset) / absmax[i / 256]
///     a'[i]      = code[codes[i]] · absmax[i / 256] + offset          (two float32 roundings, bitsandbytes' order)
///
/// This saves 0.37 bit per weight at blocksize 64 (32 bits of absmax per 64 weights become 8 + 32/256).
public struct NF4QuantizedScales: Sendable, Equatable {
    /// Absmax values per second-level scale (bitsandbytes: 256).
    public static let blockSize = Kernels.nf4AbsmaxBlockSize
    /// The 8-bit code of every absmax, indices into ``code``.
    public let codes: [UInt8]
    /// One float32 scale per 256 codes (bitsandbytes `state2.absmax`).
    public let absmax: [Float]
    /// The mean that was subtracted before quantizing (bitsandbytes `offset`).
    public let offset: Float

    /// bitsandbytes' signed dynamic map: 256 ascending values in [−0.99297, 1] (bitsandbytes `state2.code`).
    public static var code: [Float] { Kernels.nf4DynamicMap }

    /// Wraps existing state (from a checkpoint, or from bitsandbytes).
    /// - Throws: ``NF4Error/sizeMismatch(what:expected:actual:)`` unless `absmax` has `ceil(codes.count / 256)`
    ///   values.
    public init(codes: [UInt8], absmax: [Float], offset: Float) throws(NF4Error) {
        let blocks = (codes.count + Self.blockSize - 1) / Self.blockSize
        guard absmax.count == blocks else {
            throw .sizeMismatch(what: "second-level absmax for \(codes.count) codes", expected: blocks,
                                actual: absmax.count)
        }
        self.codes = codes
        self.absmax = absmax
        self.offset = offset
    }

    /// Quantizes `values` (an ``NF4Weight``'s absmax) around `offset`, by default their mean as bitsandbytes
    /// computes it (torch's float32 `mean()`); given the same offset, codes and scales are bit-identical to bitsandbytes'
    /// reference rule.
    public static func quantize(_ values: [Float], offset: Float? = nil) -> NF4QuantizedScales {
        let offset = offset ?? torchMean(values)
        let blocks = (values.count + blockSize - 1) / blockSize
        var absmax: [Float] = []
        let codes = [UInt8](unsafeUninitializedCapacity: values.count) { c, initializedCodes in
            absmax = [Float](unsafeUninitializedCapacity: blocks) { a, initializedBlocks in
                values.withUnsafeBufferPointer { v in
                    if let vp = v.baseAddress, let cp = c.baseAddress, let ap = a.baseAddress {
                        Kernels.nf4QuantizeAbsmax(codes: cp, absmax2: ap, absmax: vp, count: v.count, offset: offset)
                    }
                }
                initializedBlocks = blocks
            }
            initializedCodes = values.count
        }
        return try! NF4QuantizedScales(codes: codes, absmax: absmax, offset: offset)
    }

    /// The absmax values in float32.
    public func dequantize() -> [Float] {
        [Float](unsafeUninitializedCapacity: codes.count) { out, initialized in
            codes.withUnsafeBufferPointer { c in
                absmax.withUnsafeBufferPointer { a in
                    guard let op = out.baseAddress, let cp = c.baseAddress, let ap = a.baseAddress else { return }
                    Kernels.nf4DequantizeAbsmax(absmax: op, codes: cp, absmax2: ap, count: c.count, offset: offset)
                }
            }
            initialized = codes.count
        }
    }

    /// `torch.mean()` of a float32 vector as bitsandbytes takes it (`offset = absmax.mean()`): torch's float32
    /// `sum()` divided by the count in float32.
    ///
    /// The sum reproduces torch's summation order on an AVX2 CPU (aten/src/ATen/native/cpu/SumKernel.cpp:
    /// `cascade_sum` → `vectorized_inner_sum` → `row_sum` → `multi_row_sum`, 8 lanes, 4-way ILP, cascade levels of
    /// 2^max(4, ⌈log2 n⌉/4)), which Tools/generate_nf4_fixtures.py's torch agrees with bit for bit. Torch built for
    /// AVX-512 uses 16 lanes, and splits sums of more than 32768 values across threads, so there the offset may
    /// differ from bitsandbytes' in the last bit or two (the codes then follow from that offset).
    static func torchMean(_ values: [Float]) -> Float {
        guard !values.isEmpty else { return 0 }   // torch gives NaN; an empty weight has no absmax to offset
        return torchSum(values) / Float(values.count)
    }

    /// torch's float32 `sum()` in that order (`st_nf4_torch_sum_f32`, AVX2 with a portable twin; the tests hold a
    /// line-by-line Swift transcription of SumKernel.cpp to compare with).
    static func torchSum(_ x: [Float]) -> Float {
        x.withUnsafeBufferPointer { v in
            guard let vp = v.baseAddress else { return 0 }
            return Kernels.nf4TorchSum(vp, count: v.count)
        }
    }
}
