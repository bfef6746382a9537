extension LoRALinear {
    /// `y + s · (x · Aᵀ) · Bᵀ` written into `y`'s buffer and recorded as one operation — the LoRA branch without
    /// the `[…, out]` temporaries of a separate product, scale and add.
    ///
    /// Shapes: x `[…, in]` (M rows), y `[…, out]`, A `[r, in]`, B `[out, r]`. Forward: h = x · Aᵀ `[M, r]`, then
    /// s · h · Bᵀ is added to y in place. Backward, for the output gradient G `[M, out]`:
    ///
    ///     ∂y_in = G,   Ĝ = s · G · B  [M, r],   ∂B = s · Gᵀ · h,   ∂A = Ĝᵀ · x,   ∂x = Ĝ · A
    ///
    /// (the same products PEFT's autograd runs, without the elementwise passes over `[M, out]`). The six skinny
    /// products run on `Kernels.lowRank*` (CKernels' st_lowrank.h for `Float`: the big operand streamed once, not
    /// packed as sgemm does; a BLAS gemm for `Double`); Bᵀ `[r, out]` is formed once in the forward for
    /// s · h · Bᵀ and G · B.
    /// `y` must be uniquely referenced for the write to happen in place (otherwise it is copied first).
    ///
    /// With `frozenBase` (a base with no trainable parameter whose output `y` was computed without recording from
    /// the same `x`), the operation also owns the base's backward: ∂x = G · W + Ĝ · A, the second product added
    /// in place into the first's buffer — no separate `[M, in]` gradient and sum.
    static func addLowRank(to y: inout Tensor<Scalar>, x: Tensor<Scalar>, a: Tensor<Scalar>, b: Tensor<Scalar>,
                           scale: Scalar, frozenBase: (any FrozenLinearGradient<Scalar>)? = nil) -> Tensor<Scalar> {
        let (rank, input, output) = (a.shape[0], a.shape[1], b.shape[0])
        let rows = input == 0 ? 0 : x.count / input
        let (cx, ca, cb) = (x.detached, a.detached, b.detached)
        let h = Tensor<Scalar>(shape: [rows, rank]) { out in                                   // x · Aᵀ [M, r]
            guard let c = out.baseAddress else { return }
            Kernels.lowRankProject(c, x: cx.storage.pointer, w: ca.storage.pointer, scale: 1, rows: rows,
                                   inner: input, rank: rank)
        }
        let bt = Tensor<Scalar>(shape: [rank, output]) { out in                                // Bᵀ [r, out]
            guard let c = out.baseAddress else { return }
            Kernels.lowRankTranspose(c, cb.storage.pointer, rows: output, columns: rank)
        }
        y.withUnsafeMutableScalars { out in
            guard let c = out.baseAddress else { return }
            Kernels.lowRankExpand(c, h: h.storage.pointer, w: bt.storage.pointer, scale: scale, accumulate: true,
                                  rows: rows, rank: rank, columns: output)
        }
        // Without a frozen base, y's own record (the base's backward) is an input that receives G unchanged.
        let baseOutput = frozenBase == nil ? [y] : []
        return Tensor.record("lora", y.detached, inputs: baseOutput + [x, a, b]) { g, needs in
            let (needX, needA, needB) = (needs[needs.count - 3], needs[needs.count - 2], needs[needs.count - 1])
            let gh = lowRankGradient(g, bt: bt, rows: rows, rank: rank, output: output, scale: scale)
            let dB = !needB ? nil : bGradient(g, h: h, rows: rows, rank: rank, output: output, scale: scale)
            let dA = !needA ? nil : aGradient(gh, x: cx, rows: rows, rank: rank, input: input)
            let dx = !needX ? nil : Tensor<Scalar>(shape: cx.shape) { out in   // Ĝ · A, after G · W for a frozen base
                guard let c = out.baseAddress else { return }
                frozenBase?.inputGradient(g.storage.pointer, rows: rows, into: c)
                Kernels.lowRankExpand(c, h: gh.storage.pointer, w: ca.storage.pointer, scale: 1,
                                      accumulate: frozenBase != nil, rows: rows, rank: rank, columns: input)
            }
            return (frozenBase == nil ? [needs[0] ? g : nil] : []) + [dx, dA, dB]
        }
    }

    /// Ĝ = s · G · B  `[M, r]` (from Bᵀ `[r, out]`: s · G · (Bᵀ)ᵀ).
    private static func lowRankGradient(_ g: Tensor<Scalar>, bt: Tensor<Scalar>, rows: Int, rank: Int, output: Int,
                                        scale: Scalar) -> Tensor<Scalar> {
        Tensor<Scalar>(shape: [rows, rank]) { out in
            guard let c = out.baseAddress else { return }
            Kernels.lowRankProject(c, x: g.storage.pointer, w: bt.storage.pointer, scale: scale, rows: rows,
                                   inner: output, rank: rank)
        }
    }

    /// ∂B = s · Gᵀ · h  `[out, r]`.
    private static func bGradient(_ g: Tensor<Scalar>, h: Tensor<Scalar>, rows: Int, rank: Int, output: Int,
                                  scale: Scalar) -> Tensor<Scalar> {
        Tensor<Scalar>(shape: [output, rank]) { out in
            guard let c = out.baseAddress else { return }
            Kernels.lowRankGram(c, h: h.storage.pointer, g: g.storage.pointer, scale: scale, transposed: true,
                                rows: rows, rank: rank, columns: output)
        }
    }

    /// ∂A = Ĝᵀ · x  `[r, in]`.
    private static func aGradient(_ gh: Tensor<Scalar>, x: Tensor<Scalar>, rows: Int, rank: Int,
                                  input: Int) -> Tensor<Scalar> {
        Tensor<Scalar>(shape: [rank, input]) { out in
            guard let c = out.baseAddress else { return }
            Kernels.lowRankGram(c, h: gh.storage.pointer, g: x.storage.pointer, scale: 1, transposed: false,
                                rows: rows, rank: rank, columns: input)
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
