import CKernels

/// The bridge to CKernels' bfloat16 kernels (st_bf16.h): bf16 values travel as their raw 16-bit patterns.
extension Kernels {
    /// dst[i] = Float(src[i]) for i < count (exact; `st_bf16_to_f32`).
    static func widenBFloat16(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<BFloat16>, count: Int) {
        st_bf16_to_f32(dst, bits(src), Int64(count))
    }

    /// dst[i, :] = table[ids[i], :] widened, rows of `columns` elements (`st_bf16_gather_rows_f32`).
    static func gatherBFloat16Rows(_ dst: UnsafeMutablePointer<Float>, table: UnsafePointer<BFloat16>, ids: [Int64],
                                   columns: Int) {
        ids.withUnsafeBufferPointer { idp in
            st_bf16_gather_rows_f32(dst, bits(table), idp.baseAddress, Int64(ids.count), Int64(columns))
        }
    }

    /// y = x · Wᵀ for `m` ≤ a few rows of x `[m, k]`, W `[n, k]` in bf16 (`st_matvec_bf16_f32`).
    static func matvecBFloat16(_ y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<BFloat16>,
                               m: Int, n: Int, k: Int) {
        st_matvec_bf16_f32(y, x, bits(w), Int64(m), Int64(n), Int64(k))
    }

    private static func bits(_ p: UnsafePointer<BFloat16>) -> UnsafePointer<UInt16> {
        UnsafeRawPointer(p).assumingMemoryBound(to: UInt16.self)
    }
}
