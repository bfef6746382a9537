/// How A `[r, in]` and B `[out, r]` start (PEFT's `LoraLayer.reset_lora_parameters` and `pissa_init`).
extension LoRALinear {
    static func initialFactors(base: any LinearLayer<Scalar>, rank r: Int, scale: Scalar,
                               _ initialization: LoRAConfiguration.Initialization,
                               generator: inout RandomGenerator) throws -> (a: Tensor<Scalar>, b: Tensor<Scalar>) {
        let (input, output) = (base.inputFeatures, base.outputFeatures)
        switch initialization {
        case .kaimingUniform:
            return (kaimingUniform([r, input], generator: &generator), .zeros([output, r]))
        case .gaussian:
            return (.randomNormal([r, input], standardDeviation: 1 / Scalar(r), generator: &generator), .zeros([output, r]))
        case .linearDefault:
            let a = kaimingUniform([r, input], generator: &generator)
            return (a, kaimingUniform([output, r], generator: &generator))
        case .pissa:
            return try principalFactors(base: base, rank: r, scale: scale)
        }
    }

    /// `torch.nn.init.kaiming_uniform_(w, a=√5)` for `w` `[rows, fanIn]`: gain = √(2 / (1 + a²)) = √(1/3), bound =
    /// gain · √(3 / fanIn) = 1/√fanIn, so U(±1/√fanIn) — `nn.Linear`'s default.
    static func kaimingUniform(_ shape: [Int], generator: inout RandomGenerator) -> Tensor<Scalar> {
        let bound = 1 / Scalar(shape[1]).squareRoot()
        return .randomUniform(shape, low: -bound, high: bound, generator: &generator)
    }

    /// PiSSA (Meng et al. 2024): the adapter takes the top-r singular triplets of W = U·S·Vᵀ and the base keeps the
    /// residual. As PEFT's `pissa_init`: S_r ← S_r / s, A = diag(√S_r)·V_rᵀ, B = U_r·diag(√S_r), so s·B·A =
    /// U_r·S_r·V_rᵀ and W ← W − s·B·A leaves the layer's output unchanged. The SVD runs in `Double` (LAPACK
    /// `dgesdd`); PEFT uses `torch.linalg.svd`, so the factors agree up to the signs of singular vector pairs.
    static func principalFactors(base: any LinearLayer<Scalar>, rank r: Int, scale: Scalar) throws
        -> (a: Tensor<Scalar>, b: Tensor<Scalar>) {
        guard let dense = base as? Linear<Scalar> else {
            throw LoRAError.requiresDenseBase(module: base.path, operation: "PiSSA initialisation")
        }
        let (m, n) = (dense.outputFeatures, dense.inputFeatures)
        let k = min(m, n)
        guard r <= k else {
            throw LoRAError.invalidValue(file: "", key: "r", value: "\(r)",
                                         reason: "exceeds min(in, out) = \(k) of \(base.path) (weight \(dense.weight.shape))")
        }
        let w = dense.weight.value.scalars.map(\.doubleValue)
        guard let svd = Kernels.singularValueDecomposition(w, rows: m, columns: n) else {
            throw LoRAError.decompositionFailed(module: base.path)
        }
        let roots = (0..<r).map { (svd.s[$0] / scale.doubleValue).squareRoot() }
        var a = [Double](repeating: 0, count: r * n), b = [Double](repeating: 0, count: m * r)
        for i in 0..<r { for j in 0..<n { a[i * n + j] = roots[i] * svd.vt[i * n + j] } }
        for i in 0..<m { for j in 0..<r { b[i * r + j] = svd.u[i * k + j] * roots[j] } }
        let aTensor = Tensor<Scalar>(shape: [r, n], scalars: a.map { Scalar($0) })
        let bTensor = Tensor<Scalar>(shape: [m, r], scalars: b.map { Scalar($0) })
        // The residual from the stored (rounded) factors, as PEFT subtracts its float32 product.
        dense.weight.assign(withoutGradients { dense.weight.value.detached - delta(aTensor, bTensor, scale) })
        return (aTensor, bTensor)
    }
}
