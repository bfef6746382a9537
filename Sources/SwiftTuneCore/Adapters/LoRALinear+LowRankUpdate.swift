extension LoRALinear {
    /// `y + s · (x · Aᵀ) · Bᵀ` written into `y`'s buffer and recorded as one operation — the LoRA branch without
    /// the `[…, out]` temporaries of a separate product, scale and add.
    ///
    /// Shapes: x `[…, in]` (M rows), y `[…, out]`, A `[r, in]`, B `[out, r]`. Forward: h = x · Aᵀ `[M, r]`, then one
    /// sgemm with β = 1 adds s · h · Bᵀ to y. Backward, for the output gradient G `[M, out]`:
    ///
    ///     ∂y_in = G,   Ĝ = s · G · B  [M, r],   ∂B = s · Gᵀ · h,   ∂A = Ĝᵀ · x,   ∂x = Ĝ · A
    ///
    /// (the same products PEFT's autograd runs, without the elementwise passes over `[M, out]`).
    /// `y` must be uniquely referenced for the write to happen in place (otherwise it is copied first).
    static func addLowRank(to y: inout Tensor<Scalar>, x: Tensor<Scalar>, a: Tensor<Scalar>, b: Tensor<Scalar>,
                           scale: Scalar) -> Tensor<Scalar> {
        let (rank, input, output) = (a.shape[0], a.shape[1], b.shape[0])
        let rows = input == 0 ? 0 : x.count / input
        let (cx, ca, cb) = (x.detached, a.detached, b.detached)
        let h = withoutGradients { matmul(cx.reshaped([rows, input]), ca, transposeB: true) }   // [M, r]
        y.withUnsafeMutableScalars { out in
            guard let c = out.baseAddress else { return }
            Kernels.gemm(transposeA: false, transposeB: true, m: rows, n: output, k: rank, alpha: scale,
                         a: h.storage.pointer, lda: rank, b: cb.storage.pointer, ldb: rank, beta: 1, c: c, ldc: output)
        }
        return Tensor.record("lora", y.detached, inputs: [y, x, a, b]) { g, needs in
            // Ĝ = s · G · B  [M, r]
            let gh = Tensor<Scalar>(shape: [rows, rank]) { out in
                Kernels.gemm(transposeA: false, transposeB: false, m: rows, n: rank, k: output, alpha: scale,
                             a: g.storage.pointer, lda: output, b: cb.storage.pointer, ldb: rank, beta: 0,
                             c: out.baseAddress!, ldc: rank)
            }
            let dB = !needs[3] ? nil : Tensor<Scalar>(shape: [output, rank]) { out in   // s · Gᵀ · h
                Kernels.gemm(transposeA: true, transposeB: false, m: output, n: rank, k: rows, alpha: scale,
                             a: g.storage.pointer, lda: output, b: h.storage.pointer, ldb: rank, beta: 0,
                             c: out.baseAddress!, ldc: rank)
            }
            let dA = !needs[2] ? nil : Tensor<Scalar>(shape: [rank, input]) { out in     // Ĝᵀ · x
                Kernels.gemm(transposeA: true, transposeB: false, m: rank, n: input, k: rows, alpha: 1,
                             a: gh.storage.pointer, lda: rank, b: cx.storage.pointer, ldb: input, beta: 0,
                             c: out.baseAddress!, ldc: input)
            }
            let dx = !needs[1] ? nil : Tensor<Scalar>(shape: cx.shape) { out in          // Ĝ · A
                Kernels.gemm(transposeA: false, transposeB: false, m: rows, n: input, k: rank, alpha: 1,
                             a: gh.storage.pointer, lda: rank, b: ca.storage.pointer, ldb: input, beta: 0,
                             c: out.baseAddress!, ldc: input)
            }
            return [needs[0] ? g : nil, dx, dA, dB]
        }
    }
}
