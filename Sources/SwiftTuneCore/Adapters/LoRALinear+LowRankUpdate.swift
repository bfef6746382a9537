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
    ///
    /// With `frozenBase` (a base with no trainable parameter whose output `y` was computed without recording from
    /// the same `x`), the operation also owns the base's backward: ∂x = G · W + Ĝ · A, the second product added by
    /// a β = 1 sgemm into the first's buffer — no separate `[M, in]` gradient and sum.
    static func addLowRank(to y: inout Tensor<Scalar>, x: Tensor<Scalar>, a: Tensor<Scalar>, b: Tensor<Scalar>,
                           scale: Scalar, frozenBase: (any FrozenLinearGradient<Scalar>)? = nil) -> Tensor<Scalar> {
        let (rank, input, output) = (a.shape[0], a.shape[1], b.shape[0])
        let rows = input == 0 ? 0 : x.count / input
        let (cx, ca, cb) = (x.detached, a.detached, b.detached)
        let h = withoutGradients { matmul(cx.reshaped([rows, input]), ca, transposeB: true) }   // [M, r]
        y.withUnsafeMutableScalars { out in
            guard let c = out.baseAddress else { return }
            Kernels.gemm(transposeA: false, transposeB: true, m: rows, n: output, k: rank, alpha: scale,
                         a: h.storage.pointer, lda: rank, b: cb.storage.pointer, ldb: rank, beta: 1, c: c, ldc: output)
        }
        if let frozenBase {
            return Tensor.record("lora", y.detached, inputs: [x, a, b]) { g, needs in
                let gh = lowRankGradient(g, b: cb, rows: rows, rank: rank, output: output, scale: scale)
                let dB = !needs[2] ? nil : bGradient(g, h: h, rows: rows, rank: rank, output: output, scale: scale)
                let dA = !needs[1] ? nil : aGradient(gh, x: cx, rows: rows, rank: rank, input: input)
                let dx = !needs[0] ? nil : Tensor<Scalar>(shape: cx.shape) { out in     // G · W + Ĝ · A
                    guard let c = out.baseAddress else { return }
                    frozenBase.inputGradient(g.storage.pointer, rows: rows, into: c)
                    Kernels.gemm(transposeA: false, transposeB: false, m: rows, n: input, k: rank, alpha: 1,
                                 a: gh.storage.pointer, lda: rank, b: ca.storage.pointer, ldb: input, beta: 1,
                                 c: c, ldc: input)
                }
                return [dx, dA, dB]
            }
        }
        return Tensor.record("lora", y.detached, inputs: [y, x, a, b]) { g, needs in
            let gh = lowRankGradient(g, b: cb, rows: rows, rank: rank, output: output, scale: scale)
            let dB = !needs[3] ? nil : bGradient(g, h: h, rows: rows, rank: rank, output: output, scale: scale)
            let dA = !needs[2] ? nil : aGradient(gh, x: cx, rows: rows, rank: rank, input: input)
            let dx = !needs[1] ? nil : Tensor<Scalar>(shape: cx.shape) { out in          // Ĝ · A
                Kernels.gemm(transposeA: false, transposeB: false, m: rows, n: input, k: rank, alpha: 1,
                             a: gh.storage.pointer, lda: rank, b: ca.storage.pointer, ldb: input, beta: 0,
                             c: out.baseAddress!, ldc: input)
            }
            return [needs[0] ? g : nil, dx, dA, dB]
        }
    }

    /// Ĝ = s · G · B  `[M, r]`.
    private static func lowRankGradient(_ g: Tensor<Scalar>, b: Tensor<Scalar>, rows: Int, rank: Int, output: Int,
                                        scale: Scalar) -> Tensor<Scalar> {
        Tensor<Scalar>(shape: [rows, rank]) { out in
            Kernels.gemm(transposeA: false, transposeB: false, m: rows, n: rank, k: output, alpha: scale,
                         a: g.storage.pointer, lda: output, b: b.storage.pointer, ldb: rank, beta: 0,
                         c: out.baseAddress!, ldc: rank)
        }
    }

    /// ∂B = s · Gᵀ · h  `[out, r]`.
    private static func bGradient(_ g: Tensor<Scalar>, h: Tensor<Scalar>, rows: Int, rank: Int, output: Int,
                                  scale: Scalar) -> Tensor<Scalar> {
        Tensor<Scalar>(shape: [output, rank]) { out in
            Kernels.gemm(transposeA: true, transposeB: false, m: output, n: rank, k: rows, alpha: scale,
                         a: g.storage.pointer, lda: output, b: h.storage.pointer, ldb: rank, beta: 0,
                         c: out.baseAddress!, ldc: rank)
        }
    }

    /// ∂A = Ĝᵀ · x  `[r, in]`.
    private static func aGradient(_ gh: Tensor<Scalar>, x: Tensor<Scalar>, rows: Int, rank: Int,
                                  input: Int) -> Tensor<Scalar> {
        Tensor<Scalar>(shape: [rank, input]) { out in
            Kernels.gemm(transposeA: true, transposeB: false, m: rank, n: input, k: rows, alpha: 1,
                         a: gh.storage.pointer, lda: rank, b: x.storage.pointer, ldb: input, beta: 0,
                         c: out.baseAddress!, ldc: input)
        }
    }
}

/// A linear layer that can compute its input gradient ∂x = G · W on its own (`G` `[M, out]` → `[M, in]`, written
/// into `dx`), so that a LoRA branch over it can fold that product into its own backward. Only used when the
/// layer has no trainable parameter.
protocol FrozenLinearGradient<Scalar>: LinearLayer {
    func inputGradient(_ g: UnsafePointer<Scalar>, rows: Int, into dx: UnsafeMutablePointer<Scalar>)
}

extension Linear: FrozenLinearGradient {
    func inputGradient(_ g: UnsafePointer<Scalar>, rows: Int, into dx: UnsafeMutablePointer<Scalar>) {
        let w = weight.value.detached
        Kernels.gemm(transposeA: false, transposeB: false, m: rows, n: inputFeatures, k: outputFeatures, alpha: 1,
                     a: g, lda: outputFeatures, b: w.storage.pointer, ldb: inputFeatures, beta: 0, c: dx,
                     ldc: inputFeatures)
    }
}
