import CKernels
import COpenBLAS

extension Kernels {
    /// C = alpha · op(A) · op(B) + beta · C, row-major, through OpenBLAS `sgemm` / `dgemm`.
    ///
    /// op(A) is `[m, k]`, op(B) is `[k, n]`, C is `[m, n]`; `lda`, `ldb`, `ldc` are the row strides of the stored
    /// (untransposed) matrices. Transposes are passed to BLAS, never materialised.
    @_specialize(where S == Float)
    static func gemm<S: TensorScalar>(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                                      alpha: S, a: UnsafePointer<S>, lda: Int, b: UnsafePointer<S>, ldb: Int,
                                      beta: S, c: UnsafeMutablePointer<S>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // BLAS leaves C alone when k == 0 only with beta == 1; make the empty product explicit.
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        let ta = transposeA ? CblasTrans : CblasNoTrans
        let tb = transposeB ? CblasTrans : CblasNoTrans
        if S.self == Float.self {
            if SplitGemm.enabled {
                var job = SplitGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha as! Float,
                                    beta: beta as! Float, a: floats(a), lda: lda, b: floats(b), ldb: ldb, c: floats(c),
                                    ldc: ldc, splitRows: true, parts: 1)
                if SplitGemm.run(&job) { return }
            }
            cblas_sgemm(CblasRowMajor, ta, tb, blasint(m), blasint(n), blasint(k), alpha as! Float, floats(a), blasint(lda),
                        floats(b), blasint(ldb), beta as! Float, floats(c), blasint(ldc))
        } else if S.self == Double.self {
            let pa = UnsafeRawPointer(a).assumingMemoryBound(to: Double.self)
            let pb = UnsafeRawPointer(b).assumingMemoryBound(to: Double.self)
            let pc = UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self)
            cblas_dgemm(CblasRowMajor, ta, tb, blasint(m), blasint(n), blasint(k), alpha as! Double, pa, blasint(lda),
                        pb, blasint(ldb), beta as! Double, pc, blasint(ldc))
        } else {
            preconditionFailure("gemm for \(S.self)")
        }
    }

    /// `y = x·Wᵀ` for a few rows of x (decode): `x` `[m, k]`, `w` `[n, k]`, `y` `[m, n]`, through CKernels' streaming
    /// matrix–vector kernel (sgemm's packing costs more than the product at these sizes).
    static func matvec(_ y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>, m: Int, n: Int, k: Int) {
        st_matvec_f32(y, x, w, Int64(m), Int64(n), Int64(k))
    }

    /// `y_i = x·W_iᵀ` for several weights sharing x (`st_matvec_multi_f32`): `w[i]` `[n[i], k]`, `y[i]` `[m, n[i]]`.
    static func matvecMulti(_ y: [UnsafeMutablePointer<Float>?], w: [UnsafePointer<Float>?], n: [Int64],
                            x: UnsafePointer<Float>, m: Int, k: Int) {
        precondition(y.count == w.count && w.count == n.count)
        st_matvec_multi_f32(y, w, n, Int64(n.count), x, Int64(m), Int64(k))
    }

    /// Threads OpenBLAS uses.
    static var blasThreadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }
}
