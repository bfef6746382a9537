/// The token id that marks a position as not scored (PyTorch's and transformers' `ignore_index`).
public let ignoreIndex = -100

/// Fused log-softmax + cross-entropy, averaged over the scored tokens as transformers computes a causal-LM loss:
///
///     loss = Σ_r w_r · (logsumexp(logits_r) − logits_r[t_r]) / #{r : t_r ≠ −100}
///
/// - Parameters:
///   - logits: `[N, V]` (flatten batch and time first).
///   - targets: `N` class indices in `0..<V`, or ``ignoreIndex`` for positions that are not scored.
///   - weights: optional per-token weights `[N]`, treated as constants (no gradient flows to them; ignored rows'
///     weights do not matter).
///   - normalizer: what to divide by; `nil` means the number of scored tokens. Gradient accumulation over several
///     micro-batches passes the scored-token count of the whole batch here, so the sum of the micro-batch losses
///     equals the loss of the full batch.
/// - Returns: a scalar tensor (0 when no token is scored).
///
/// The `[N, V]` log-probabilities are never stored: forward keeps one log-sum-exp per row and backward writes
/// `w_r · (softmax − onehot) / normalizer` directly.
@_specialize(where Scalar == Float)
public func crossEntropy<Scalar: TensorScalar>(logits: Tensor<Scalar>, targets: [Int], weights: Tensor<Scalar>? = nil,
                                                normalizer: Double? = nil) -> Tensor<Scalar> {
    precondition(logits.rank == 2, "crossEntropy logits must be [N, V]; got \(logits.shape)")
    let (rows, vocabulary) = (logits.shape[0], logits.shape[1])
    precondition(targets.count == rows, "crossEntropy: \(targets.count) targets for logits \(logits.shape)")
    if let weights { precondition(weights.shape == [rows], "crossEntropy weights \(weights.shape) for \(rows) rows") }
    for t in targets where t != ignoreIndex {
        precondition(t >= 0 && t < vocabulary, "crossEntropy target \(t) outside 0..<\(vocabulary)")
    }
    let scored = targets.lazy.filter { $0 != ignoreIndex }.count
    let divisor = normalizer ?? Double(scored)
    let targets64 = targets.map(Int64.init)
    let (cl, cw) = (logits.detached, weights?.detached)
    var lse = Tensor<Scalar>.zeros([rows])
    var perRow = Tensor<Scalar>.zeros([rows])
    targets64.withUnsafeBufferPointer { t in
        lse.withUnsafeMutableScalars { l in
            perRow.withUnsafeMutableScalars { loss in
                Kernels.crossEntropyForward(loss: loss.baseAddress!, lse: l.baseAddress!, logits: cl.storage.pointer,
                                            targets: t.baseAddress!, weights: cw?.storage.pointer, rows: rows,
                                            vocabulary: vocabulary, ignoreIndex: ignoreIndex)
            }
        }
    }
    let total = perRow.withUnsafeScalars { $0.reduce(0.0) { $0 + $1.doubleValue } }
    let value = Tensor<Scalar>(scalar: Scalar(divisor > 0 ? total / divisor : 0))
    let savedLse = lse
    return Tensor.record("crossEntropy", value, inputs: [logits]) { g, _ in
        let scale = divisor > 0 ? g.item.doubleValue / divisor : 0
        let dloss = [Scalar](repeating: Scalar(scale), count: rows)
        return [Tensor(shape: cl.shape) { dlogits in
            targets64.withUnsafeBufferPointer { t in
                dloss.withUnsafeBufferPointer { d in
                    Kernels.crossEntropyBackward(dlogits: dlogits.baseAddress!, logits: cl.storage.pointer,
                                                 lse: savedLse.storage.pointer, targets: t.baseAddress!,
                                                 weights: cw?.storage.pointer, dloss: d.baseAddress!, rows: rows,
                                                 vocabulary: vocabulary, ignoreIndex: ignoreIndex)
                }
            }
        }]
    }
}
