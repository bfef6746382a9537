/// Matrix products through BLAS `gemm`, with transposes passed as flags instead of copies.
///
/// `a` is `[..., M, K]` (or `[..., K, M]` with `transposeA`), `b` is `[..., K, N]` (or `[..., N, K]` with
/// `transposeB`); the result is `[..., M, N]`. Batch axes must be equal, or `b` may be a plain matrix shared by
/// every batch element (a linear layer: `x · Wᵀ` with `W` `[out, in]` is `matmul(x, w, transposeB: true)`).
/// Then, with `a` not transposed, the batch folds into M and the product is a single gemm.
///
/// Derivatives, with G = ∂L/∂C: ∂op(A) = G · op(B)ᵀ, ∂op(B) = op(A)ᵀ · G; both are again one gemm each with
/// flags, and a shared `b` sums its gradient over the batch inside that gemm (beta = 1 accumulation).
/// A frozen operand (one that does not require gradients) costs no gradient gemm.
@_specialize(where Scalar == Float)
public func matmul<Scalar: TensorScalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>,
                                         transposeA: Bool = false, transposeB: Bool = false) -> Tensor<Scalar> {
    let out = MatmulPlan(a.shape, b.shape, transposeA: transposeA, transposeB: transposeB).run(a.detached, b.detached)
    let (ca, cb) = (a.detached, b.detached)
    return Tensor.record("matmul", out, inputs: [a, b]) { g, needs in
        var da: Tensor<Scalar>?
        var db: Tensor<Scalar>?
        if needs[0] {
            // !tA: dA = G · op(B)ᵀ ;  tA: dA = op(B) · Gᵀ
            da = transposeA
                ? MatmulPlan.gradientOfShared(cb, g, transposeFirst: transposeB, transposeSecond: true, resultShape: ca.shape)
                : MatmulPlan.gradientOfShared(g, cb, transposeFirst: false, transposeSecond: !transposeB, resultShape: ca.shape)
        }
        if needs[1] {
            // !tB: dB = op(A)ᵀ · G ;  tB: dB = Gᵀ · op(A)
            db = transposeB
                ? MatmulPlan.gradientOfShared(g, ca, transposeFirst: true, transposeSecond: transposeA, resultShape: cb.shape)
                : MatmulPlan.gradientOfShared(ca, g, transposeFirst: !transposeA, transposeSecond: false, resultShape: cb.shape)
        }
        return [da, db]
    }
}

/// How a (batched) product maps onto gemm calls.
struct MatmulPlan {
    let batchShape: [Int]
    let batch: Int
    let m: Int, n: Int, k: Int
    let transposeA: Bool, transposeB: Bool
    /// One operand is a single matrix used by every batch element.
    let aShared: Bool, bShared: Bool

    init(_ aShape: [Int], _ bShape: [Int], transposeA: Bool, transposeB: Bool) {
        precondition(aShape.count >= 2 && bShape.count >= 2, "matmul needs matrices; got \(aShape) and \(bShape)")
        let (ar, br) = (aShape.count, bShape.count)
        let am = transposeA ? aShape[ar - 1] : aShape[ar - 2], ak = transposeA ? aShape[ar - 2] : aShape[ar - 1]
        let bk = transposeB ? bShape[br - 1] : bShape[br - 2], bn = transposeB ? bShape[br - 2] : bShape[br - 1]
        precondition(ak == bk, "matmul: inner dimensions differ: \(aShape)\(transposeA ? "ᵀ" : "") · \(bShape)\(transposeB ? "ᵀ" : "")")
        let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
        precondition(aBatch == bBatch || aBatch.isEmpty || bBatch.isEmpty,
                     "matmul: batch shapes \(aBatch) and \(bBatch) must be equal or one operand a matrix")
        batchShape = aBatch.count >= bBatch.count ? aBatch : bBatch
        batch = batchShape.reduce(1, *)
        aShared = aBatch.isEmpty && !bBatch.isEmpty
        bShared = bBatch.isEmpty && !aBatch.isEmpty
        m = am; n = bn; k = ak
        self.transposeA = transposeA
        self.transposeB = transposeB
    }

    var resultShape: [Int] { batchShape + [m, n] }

    @_specialize(where S == Float)
    func run<S: TensorScalar>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
        let lda = transposeA ? m : k, ldb = transposeB ? k : n
        return Tensor<S>(shape: resultShape) { c in
            guard c.count > 0 else { return }
            if S.self == Float.self, !transposeA, transposeB, bShared || batch == 1, batch * m <= 4, k > 0 {
                // Decode: a few rows against a linear layer's weight.
                Kernels.matvec(floats(c.baseAddress!), x: floats(UnsafePointer(a.storage.pointer)), w: floats(UnsafePointer(b.storage.pointer)),
                               m: batch * m, n: n, k: k)
                return
            }
            if bShared && !transposeA {
                // Fold the batch into M: one gemm over [batch·M, K].
                Kernels.gemm(transposeA: false, transposeB: transposeB, m: batch * m, n: n, k: k, alpha: 1,
                             a: a.storage.pointer, lda: lda, b: b.storage.pointer, ldb: ldb,
                             beta: 0, c: c.baseAddress!, ldc: n)
                return
            }
            for i in 0..<batch {
                Kernels.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
                             a: a.storage.pointer + (aShared ? 0 : i * m * k), lda: lda,
                             b: b.storage.pointer + (bShared ? 0 : i * k * n), ldb: ldb,
                             beta: 0, c: c.baseAddress! + i * m * n, ldc: n)
            }
        }
    }

    /// The gradient of one operand: `op(first) · op(second)`, summed over the batch when that operand
    /// (`resultShape`) is a matrix shared by every batch element.
    @_specialize(where S == Float)
    static func gradientOfShared<S: TensorScalar>(_ first: Tensor<S>, _ second: Tensor<S>, transposeFirst: Bool,
                                                  transposeSecond: Bool, resultShape: [Int]) -> Tensor<S> {
        let plan = MatmulPlan(first.shape, second.shape, transposeA: transposeFirst, transposeB: transposeSecond)
        if resultShape.count > 2 || (first.rank == 2 && second.rank == 2) {
            return plan.run(first, second).reshapedStorage(resultShape)
        }
        // Sum over batch: accumulate gemms into one matrix. When the batch axis sits in the contracted
        // dimension (first transposed, second not), fold it into K instead: a single gemm.
        let (m, n, k, batch) = (plan.m, plan.n, plan.k, plan.batch)
        let ldFirst = transposeFirst ? m : k, ldSecond = transposeSecond ? k : n
        return Tensor<S>(shape: resultShape) { c in
            if transposeFirst && !transposeSecond {
                Kernels.gemm(transposeA: true, transposeB: false, m: m, n: n, k: batch * k, alpha: 1,
                             a: first.storage.pointer, lda: ldFirst, b: second.storage.pointer, ldb: ldSecond,
                             beta: 0, c: c.baseAddress!, ldc: n)
                return
            }
            for i in 0..<batch {
                Kernels.gemm(transposeA: transposeFirst, transposeB: transposeSecond, m: m, n: n, k: k, alpha: 1,
                             a: first.storage.pointer + (first.rank > 2 ? i * m * k : 0), lda: ldFirst,
                             b: second.storage.pointer + (second.rank > 2 ? i * k * n : 0), ldb: ldSecond,
                             beta: i == 0 ? 0 : 1, c: c.baseAddress!, ldc: n)
            }
        }
    }
}
