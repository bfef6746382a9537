import CKernels

/// The bridge to CKernels' skinny LoRA products (st_lowrank.h), where one extent is the rank R. Row-major,
/// contiguous. `Float` runs the C kernels (the big operand streamed once, no packing; results independent of the
/// thread count); other scalars (`Double`, for gradient checks) run the same product as a BLAS gemm.
extension Kernels {
    /// out `[rows, rank]` = scale · x `[rows, inner]` · wᵀ, w `[rank, inner]` (see `st_lowrank_project_f32`).
    static func lowRankProject<S: TensorScalar>(_ out: UnsafeMutablePointer<S>, x: UnsafePointer<S>,
                                                w: UnsafePointer<S>, scale: S, rows: Int, inner: Int, rank: Int) {
        if S.self == Float.self {
            st_lowrank_project_f32(floats(out), floats(x), floats(w), scale as! Float, Int64(rows), Int64(inner),
                                   Int64(rank))
        } else {
            gemm(transposeA: false, transposeB: true, m: rows, n: rank, k: inner, alpha: scale, a: x, lda: inner,
                 b: w, ldb: inner, beta: 0, c: out, ldc: rank)
        }
    }

    /// y `[rows, columns]` (+)= scale · h `[rows, rank]` · w `[rank, columns]`: added to y when `accumulate`,
    /// else written (see `st_lowrank_expand_f32`).
    static func lowRankExpand<S: TensorScalar>(_ y: UnsafeMutablePointer<S>, h: UnsafePointer<S>,
                                               w: UnsafePointer<S>, scale: S, accumulate: Bool, rows: Int,
                                               rank: Int, columns: Int) {
        if S.self == Float.self {
            st_lowrank_expand_f32(floats(y), floats(h), floats(w), scale as! Float, accumulate ? 1 : 0,
                                  Int64(rows), Int64(rank), Int64(columns))
        } else {
            gemm(transposeA: false, transposeB: false, m: rows, n: columns, k: rank, alpha: scale, a: h, lda: rank,
                 b: w, ldb: columns, beta: accumulate ? 1 : 0, c: y, ldc: columns)
        }
    }

    /// scale · hᵀ · g for h `[rows, rank]`, g `[rows, columns]`: out `[rank, columns]`, or its transpose
    /// `[columns, rank]` when `transposed` (see `st_lowrank_gram_f32`).
    static func lowRankGram<S: TensorScalar>(_ out: UnsafeMutablePointer<S>, h: UnsafePointer<S>,
                                             g: UnsafePointer<S>, scale: S, transposed: Bool, rows: Int, rank: Int,
                                             columns: Int) {
        if S.self == Float.self {
            st_lowrank_gram_f32(floats(out), floats(h), floats(g), scale as! Float, transposed ? 1 : 0,
                                Int64(rows), Int64(rank), Int64(columns))
        } else if transposed {
            gemm(transposeA: true, transposeB: false, m: columns, n: rank, k: rows, alpha: scale, a: g,
                 lda: columns, b: h, ldb: rank, beta: 0, c: out, ldc: rank)
        } else {
            gemm(transposeA: true, transposeB: false, m: rank, n: columns, k: rows, alpha: scale, a: h, lda: rank,
                 b: g, ldb: columns, beta: 0, c: out, ldc: columns)
        }
    }

    /// out `[columns, rows]` = in `[rows, columns]`ᵀ (see `st_lowrank_transpose_f32`).
    static func lowRankTranspose<S: TensorScalar>(_ out: UnsafeMutablePointer<S>, _ input: UnsafePointer<S>,
                                                  rows: Int, columns: Int) {
        if S.self == Float.self {
            st_lowrank_transpose_f32(floats(out), floats(input), Int64(rows), Int64(columns))
        } else {
            for r in 0..<rows { for c in 0..<columns { out[c * rows + r] = input[r * columns + c] } }
        }
    }
}
