import CKernels

/// The bridge to CKernels' NF4 kernels (st_nf4.h). Sizes: `count` weights in `ceil(count / 64)` blocks,
/// `packed` holds `ceil(count / 2)` bytes; a weight `[out, in]` is flattened row-major.
extension Kernels {
    /// Weights per absmax (bitsandbytes blocksize 64).
    static let nf4BlockSize = Int(ST_NF4_BLOCK)
    /// Absmax values per second-level scale in double quantization.
    static let nf4AbsmaxBlockSize = Int(ST_NF4_ABSMAX_BLOCK)

    /// The 16 NF4 values, ascending.
    static let nf4Codebook: [Float] = [Float](unsafeUninitializedCapacity: 16) { buffer, initialized in
        st_nf4_codebook(buffer.baseAddress!)
        initialized = 16
    }

    /// bitsandbytes' signed 8-bit dynamic map (256 values, ascending).
    static let nf4DynamicMap: [Float] = [Float](unsafeUninitializedCapacity: 256) { buffer, initialized in
        st_nf4_dynamic_map(buffer.baseAddress!)
        initialized = 256
    }

    /// packed, absmax ← weights (see `st_nf4_quantize_f32`).
    static func nf4Quantize(packed: UnsafeMutablePointer<UInt8>, absmax: UnsafeMutablePointer<Float>,
                            weights: UnsafePointer<Float>, count: Int) {
        st_nf4_quantize_f32(packed, absmax, weights, Int64(count))
    }

    /// weights ← packed, absmax (see `st_nf4_dequantize_f32`).
    static func nf4Dequantize(weights: UnsafeMutablePointer<Float>, packed: UnsafePointer<UInt8>,
                              absmax: UnsafePointer<Float>, count: Int) {
        st_nf4_dequantize_f32(weights, packed, absmax, Int64(count))
    }

    /// codes, absmax2 ← absmax − offset in blocks of 256 (see `st_nf4_absmax_quantize_f32`).
    static func nf4QuantizeAbsmax(codes: UnsafeMutablePointer<UInt8>, absmax2: UnsafeMutablePointer<Float>,
                                  absmax: UnsafePointer<Float>, count: Int, offset: Float) {
        st_nf4_absmax_quantize_f32(codes, absmax2, absmax, Int64(count), offset)
    }

    /// torch's float32 sum of `count` values, in its AVX2 summation order (see `st_nf4_torch_sum_f32`).
    static func nf4TorchSum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        st_nf4_torch_sum_f32(x, Int64(count))
    }

    /// absmax ← dynamic[codes] · absmax2 + offset (see `st_nf4_absmax_dequantize_f32`).
    static func nf4DequantizeAbsmax(absmax: UnsafeMutablePointer<Float>, codes: UnsafePointer<UInt8>,
                                    absmax2: UnsafePointer<Float>, count: Int, offset: Float) {
        st_nf4_absmax_dequantize_f32(absmax, codes, absmax2, Int64(count), offset)
    }

    /// y `[rows, out]` = x `[rows, in]` · Wᵀ with W `[out, in]` in NF4 (see `st_nf4_matmul_f32`).
    static func nf4Matmul(y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, packed: UnsafePointer<UInt8>,
                          absmax: UnsafePointer<Float>, rows: Int, inputFeatures: Int, outputFeatures: Int) {
        st_nf4_matmul_f32(y, x, packed, absmax, Int64(rows), Int64(inputFeatures), Int64(outputFeatures))
    }

    /// dx `[rows, in]` = dy `[rows, out]` · W (see `st_nf4_matmul_backward_input_f32`).
    static func nf4MatmulBackwardInput(dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>,
                                       packed: UnsafePointer<UInt8>, absmax: UnsafePointer<Float>, rows: Int,
                                       inputFeatures: Int, outputFeatures: Int) {
        st_nf4_matmul_backward_input_f32(dx, dy, packed, absmax, Int64(rows), Int64(inputFeatures),
                                         Int64(outputFeatures))
    }
}

extension Kernels {
    /// `y = W' · x` for one row (`st_nf4_matvec_f32`): x `[in]`, y `[out]`, W' the dequantized NF4 weight `[out, in]`.
    static func nf4Matvec(y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, packed: UnsafePointer<UInt8>,
                          absmax: UnsafePointer<Float>, inputFeatures: Int, outputFeatures: Int) {
        st_nf4_matvec_f32(y, x, packed, absmax, Int64(inputFeatures), Int64(outputFeatures))
    }
}
