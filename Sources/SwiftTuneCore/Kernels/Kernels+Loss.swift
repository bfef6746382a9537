import CKernels

extension Kernels {
    /// Per-row weighted cross-entropy and log-sum-exp (see `st_cross_entropy_forward_f32`).
    @_specialize(where S == Float)
    static func crossEntropyForward<S: TensorScalar>(loss: UnsafeMutablePointer<S>, lse: UnsafeMutablePointer<S>,
                                                     logits: UnsafePointer<S>, targets: UnsafePointer<Int64>,
                                                     weights: UnsafePointer<S>?, rows: Int, vocabulary: Int,
                                                     ignoreIndex: Int) {
        if S.self == Float.self {
            return st_cross_entropy_forward_f32(floats(loss), floats(lse), floats(logits), targets, floats(weights),
                                                Int64(rows), Int64(vocabulary), Int64(ignoreIndex))
        }
        reduce(lse, logits, outer: rows, n: vocabulary, inner: 1, .logSumExp)
        for r in 0..<rows {
            let t = Int(targets[r])
            loss[r] = t == ignoreIndex ? 0 : (weights?[r] ?? 1) * (lse[r] - logits[r * vocabulary + t])
        }
    }

    /// Gradient of the per-row losses with respect to the logits, scaled by `dloss`. May run in place.
    @_specialize(where S == Float)
    static func crossEntropyBackward<S: TensorScalar>(dlogits: UnsafeMutablePointer<S>, logits: UnsafePointer<S>,
                                                      lse: UnsafePointer<S>, targets: UnsafePointer<Int64>,
                                                      weights: UnsafePointer<S>?, dloss: UnsafePointer<S>,
                                                      rows: Int, vocabulary: Int, ignoreIndex: Int) {
        if S.self == Float.self {
            return st_cross_entropy_backward_f32(floats(dlogits), floats(logits), floats(lse), targets, floats(weights),
                                                 floats(dloss), Int64(rows), Int64(vocabulary), Int64(ignoreIndex))
        }
        for r in 0..<rows {
            let t = Int(targets[r])
            let base = r * vocabulary
            if t == ignoreIndex {
                for c in 0..<vocabulary { dlogits[base + c] = 0 }
                continue
            }
            let scale = dloss[r] * (weights?[r] ?? 1)
            for c in 0..<vocabulary {
                dlogits[base + c] = scale * (S.exp(logits[base + c] - lse[r]) - (c == t ? 1 : 0))
            }
        }
    }

    /// Per-row cross-entropy of `logits [rows, V]` against `targets` (rows at `ignoreIndex` give 0); then, when
    /// `dloss` is given, `dloss[r] · ∂loss_r/∂logits` is written over the logits themselves (no second `[rows, V]`
    /// buffer) — what the chunked losses and log-probabilities do per chunk.
    /// - Returns: the per-row losses, `[rows]`.
    static func crossEntropyInPlace<S: TensorScalar>(_ logits: inout Tensor<S>, targets: [Int64], dloss: [S]?,
                                                     vocabulary: Int, ignoreIndex: Int) -> [S] {
        let rows = targets.count
        var (lse, perRow) = ([S](repeating: 0, count: rows), [S](repeating: 0, count: rows))
        logits.withUnsafeMutableScalars { l in
            guard let p = l.baseAddress else { return }
            crossEntropyForward(loss: &perRow, lse: &lse, logits: p, targets: targets, weights: nil, rows: rows,
                                vocabulary: vocabulary, ignoreIndex: ignoreIndex)
            if let dloss {
                crossEntropyBackward(dlogits: p, logits: p, lse: lse, targets: targets, weights: nil, dloss: dloss,
                                     rows: rows, vocabulary: vocabulary, ignoreIndex: ignoreIndex)
            }
        }
        return perRow
    }
}
