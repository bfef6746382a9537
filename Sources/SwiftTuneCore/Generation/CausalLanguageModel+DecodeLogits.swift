extension CausalLanguageModel where Scalar == Float {
    /// Logits `[M, V]` of hidden states `[M, C]` (before the final norm) on the matrix–vector kernels, whose
    /// per-row arithmetic does not depend on M: the decoding path's output projection (a gemm's would change with
    /// the number of rows).
    func rowInvariantLogits(_ hidden: Tensor<Float>) -> Tensor<Float> {
        let (M, C, V) = (hidden.shape[0], configuration.hiddenSize, configuration.vocabularySize)
        let x = norm(hidden).detached
        return Tensor<Float>(shape: [M, V]) { out in
            guard let y = out.baseAddress, M > 0 else { return }
            let xp = UnsafePointer(x.storage.pointer)
            let dense: Tensor<Float>
            if let lmHead {
                dense = lmHead.weight.value
            } else {
                switch embedTokens.table {
                case .parameter(let p): dense = p.value
                case .frozenBFloat16(let m, _):
                    m.storage.withUnsafeScalars { w in
                        Kernels.matvecBFloat16(y, x: xp, w: w.baseAddress!, m: M, n: V, k: C)
                    }
                    return
                }
            }
            withExtendedLifetime((x, dense)) {
                Kernels.matvec(y, x: xp, w: UnsafePointer(dense.storage.pointer), m: M, n: V, k: C)
            }
        }
    }
}
