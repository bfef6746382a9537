import CLAPACKE

/// The bridge to LAPACKE (dense factorizations). Like the rest of `Kernels/`, nothing here is public: C types
/// stay behind this file.
extension Kernels {
    /// The thin singular value decomposition A = U · diag(S) · Vᵀ of a row-major matrix, through LAPACK's
    /// divide-and-conquer driver `dgesdd` (`jobz = 'S'`), always in `Double` whatever the caller's precision.
    ///
    /// - Parameters:
    ///   - a: `[m, n]`, row-major (`m · n` values).
    ///   - m: rows; `n`: columns. k = min(m, n).
    /// - Returns: U `[m, k]`, S `[k]` (descending, ≥ 0) and Vᵀ `[k, n]`, all row-major; `nil` when LAPACK reports
    ///   an illegal argument or that the iteration did not converge (`info ≠ 0`). Singular vectors are unique only
    ///   up to sign (and rotation within repeated singular values), so only products like U·diag(S)·Vᵀ are
    ///   comparable across libraries.
    static func singularValueDecomposition(_ a: [Double], rows m: Int, columns n: Int)
        -> (u: [Double], s: [Double], vt: [Double])? {
        precondition(a.count == m * n && m > 0 && n > 0, "SVD of \(a.count) values as [\(m), \(n)]")
        // LAPACKE's lapack_int is int32_t unless the library was built for ILP64 (Ubuntu's liblapacke is not).
        let k = min(m, n)
        var work = a  // dgesdd destroys its input
        var s = [Double](repeating: 0, count: k)
        var u = [Double](repeating: 0, count: m * k)
        var vt = [Double](repeating: 0, count: k * n)
        let info = work.withUnsafeMutableBufferPointer { pa in
            s.withUnsafeMutableBufferPointer { ps in
                u.withUnsafeMutableBufferPointer { pu in
                    vt.withUnsafeMutableBufferPointer { pvt in
                        LAPACKE_dgesdd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "S")), Int32(m), Int32(n),
                                       pa.baseAddress, Int32(n), ps.baseAddress, pu.baseAddress, Int32(k),
                                       pvt.baseAddress, Int32(n))
                    }
                }
            }
        }
        return info == 0 ? (u, s, vt) : nil
    }
}
