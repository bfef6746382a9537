/// Log-probability of each row's target under the logits `hidden · weightᵀ`, computed a chunk of rows at a time
/// so the `[N, V]` logits are never stored whole (the per-token log-probs DPO, KTO, ORPO and SimPO score):
///
///     logp_i = log softmax(h_i · Wᵀ)[t_i] = h_i · W[t_i] − logsumexp(h_i · Wᵀ)      (0 where t_i = −100)
///
/// Only the scored rows (t_i ≠ −100) are sent through the output layer: a preference row's prompt positions
/// cost no `[rows, V]` gemm, forward or backward, and get a zero gradient.
///
/// Backward: with upstream gradient g_i, ∂logits_i = g_i · (onehot(t_i) − softmax(logits_i)), so
/// ∂h_i = g_i · J_i with J_i = (onehot(t_i) − softmax(logits_i)) · W. With a frozen `weight` (LoRA, QLoRA) the
/// forward, when it records gradients for `hidden`, stores J (`[scored, C]`, C floats a row) and backward only
/// scales its rows; no logits are recomputed. When `weight` requires a gradient (full fine-tuning, a tied
/// embedding) backward recomputes each chunk's logits (one extra `[rows, V]` gemm per chunk instead of keeping
/// them) and also returns ∂W = Σ_chunks ∂logitsᵀ · h. Without gradients (a reference pass) only the values are
/// computed. The peak is one chunk's logits (`chunkRows` · V floats).
///
/// - Parameters:
///   - hidden: `[N, C]` final hidden states (after the last norm).
///   - weight: `[V, C]` output (LM head) weight.
///   - targets: N token ids in `0..<V`, or ``ignoreIndex`` for rows that are not scored.
///   - chunkRows: scored rows per chunk; default about 8M logits per chunk. The result does not depend on it.
/// - Returns: `[N]` log-probabilities, 0 at ignored rows.
/// - Precondition: shapes agree and every scored target is in the vocabulary (the model entry points
///   ``CausalLanguageModel/tokenLogProbabilities(_:labels:shape:layout:)`` check and throw instead).
public func tokenLogProbabilities<Scalar: TensorScalar>(hidden: Tensor<Scalar>, weight: Tensor<Scalar>,
                                                         targets: [Int], chunkRows: Int? = nil) -> Tensor<Scalar> {
    precondition(hidden.rank == 2 && weight.rank == 2 && hidden.shape[1] == weight.shape[1],
                 "tokenLogProbabilities: hidden \(hidden.shape) and weight \(weight.shape) must be [N, C] and [V, C]")
    let w = weight.detached
    return chunkedTokenLogProbabilities(hidden: hidden, vocabularySize: weight.shape[0], targets: targets,
                                        chunkRows: chunkRows, weight: weight,
                                        logits: { matmul($0, w, transposeB: true) }, inputGradient: { matmul($0, w) })
}

/// ``tokenLogProbabilities(hidden:weight:targets:chunkRows:)`` with the output layer given as closures, for an
/// output weight that is not a float tensor (a ``BFloat16Matrix``): `logits(h)` is `[n, C]` → `[n, V]`,
/// `inputGradient(g)` is `g · W`, `[n, V]` → `[n, C]`. `weight`, when given, is the float weight that receives
/// ∂W if it requires a gradient. Both closures only ever see scored rows.
func chunkedTokenLogProbabilities<Scalar: TensorScalar>(
    hidden: Tensor<Scalar>, vocabularySize vocabulary: Int, targets: [Int], chunkRows: Int?, weight: Tensor<Scalar>?,
    logits chunkLogits: @escaping (Tensor<Scalar>) -> Tensor<Scalar>,
    inputGradient: @escaping (Tensor<Scalar>) -> Tensor<Scalar>
) -> Tensor<Scalar> {
    let rows = hidden.shape[0]
    precondition(targets.count == rows, "tokenLogProbabilities: \(targets.count) targets for hidden \(hidden.shape)")
    for t in targets where t != ignoreIndex {
        precondition(t >= 0 && t < vocabulary, "tokenLogProbabilities target \(t) outside 0..<\(vocabulary)")
    }
    let width = rows > 0 ? hidden.count / rows : 0
    // The scored rows, gathered (a view of `hidden` itself when every row is scored).
    let scored = targets.indices.filter { targets[$0] != ignoreIndex }
    let h = scored.count == rows ? hidden.detached : hidden.detached.indexSelect(axis: 0, indices: scored)
    let scoredTargets = scored.map { Int64(targets[$0]) }
    let count = scored.count
    let target = max(1, chunkRows ?? (1 << 23) / max(1, vocabulary))
    let chunks = max(1, (count + target - 1) / target)
    let step = max(1, (count + chunks - 1) / chunks)
    let ranges = stride(from: 0, to: count, by: step).map { $0..<min(count, $0 + step) }
    let trainableWeight = weight.map { $0.requiresGradient } ?? false
    let recording = GradMode.isEnabled && (hidden.requiresGradient || trainableWeight)
    // J = (onehot − softmax) · W per scored row, kept by the forward for a frozen weight (see above).
    let storesJacobian = recording && !trainableWeight
    var jacobian: [Tensor<Scalar>] = []
    // Forward: per chunk, −(cross-entropy of each row) is its log-probability.
    var values = [Scalar](repeating: 0, count: rows)
    for range in ranges {
        var logits = withoutGradients { chunkLogits(h.slice(axis: 0, range)) }
        let n = range.count
        // ∂logp/∂logits = onehot − softmax: the cross-entropy backward with dloss = −1, over the logits.
        let perRow = Kernels.crossEntropyInPlace(&logits, targets: Array(scoredTargets[range]),
                                                 dloss: storesJacobian ? [Scalar](repeating: -1, count: n) : nil,
                                                 vocabulary: vocabulary, ignoreIndex: ignoreIndex)
        if storesJacobian { jacobian.append(withoutGradients { inputGradient(logits) }) }
        for i in 0..<n { values[scored[range.lowerBound + i]] = -perRow[i] }
    }
    let out = Tensor(shape: [rows], scalars: values)
    guard recording else { return out }
    // ∂h is zero at ignored rows; g_i · (row i of the scored rows' gradient) at the others.
    func scatter(_ dScored: Tensor<Scalar>, scale upstream: [Scalar]?) -> Tensor<Scalar> {
        Tensor(shape: [rows, width]) { dst in
            if scored.count < rows { dst.initialize(repeating: 0) }
            dScored.withUnsafeScalars { src in
                for (j, i) in scored.enumerated() {
                    let g = upstream?[i] ?? 1
                    for k in 0..<width { (dst.baseAddress! + i * width + k).initialize(to: g * src[j * width + k]) }
                }
            }
        }
    }
    if storesJacobian {
        let j = jacobian.count == 1 ? jacobian[0] : Tensor.concatenate(jacobian, axis: 0)
        return Tensor.record("tokenLogProbabilities", out, inputs: [hidden]) { g, needs in
            [needs[0] ? (count > 0 ? scatter(j, scale: g.scalars) : Tensor.zeros([rows, width])) : nil]
        }
    }
    let inputs = trainableWeight ? [hidden, weight!] : [hidden]
    return Tensor.record("tokenLogProbabilities", out, inputs: inputs) { g, needs in
        let upstream = g.scalars
        var dHidden: [Tensor<Scalar>] = []
        var dWeight: Tensor<Scalar>?
        for range in ranges {
            let hc = h.slice(axis: 0, range)
            var logits = withoutGradients { chunkLogits(hc) }
            let n = range.count
            // ∂logp/∂logits = onehot − softmax = −(softmax − onehot): the cross-entropy backward with dloss = −g.
            _ = Kernels.crossEntropyInPlace(&logits, targets: Array(scoredTargets[range]),
                                            dloss: range.map { -upstream[scored[$0]] },
                                            vocabulary: vocabulary, ignoreIndex: ignoreIndex)
            if needs[0] { dHidden.append(withoutGradients { inputGradient(logits) }) }
            if trainableWeight && needs[1] {
                let part = withoutGradients { matmul(logits, hc, transposeA: true) }
                dWeight = dWeight.map { $0.adding(part) } ?? part
            }
        }
        var grads: [Tensor<Scalar>?] = [nil]
        if needs[0] {
            grads[0] = count == 0 ? Tensor.zeros([rows, width])
                : scatter(dHidden.count == 1 ? dHidden[0] : Tensor.concatenate(dHidden, axis: 0), scale: nil)
        }
        if trainableWeight { grads.append(dWeight ?? Tensor.zeros(weight!.shape)) }
        return grads
    }
}

/// Per-sequence sum of token log-probabilities, `[B, T]` → `[B]`: Σ_t logp[b, t] · weight[b, t].
///
/// - Parameters:
///   - tokenLogProbabilities: `[B · T]` or `[B, T]`, 0 at positions that are not scored.
///   - batchSize: B.
///   - weights: optional constant per-token weights `[B · T]` (LD-DPO's α beyond the shared length); 1 otherwise.
/// - Returns: `[B]`. ∂/∂logp[b, t] = weight[b, t].
public func sequenceSums<Scalar: TensorScalar>(_ tokenLogProbabilities: Tensor<Scalar>, batchSize: Int,
                                               weights: [Double]? = nil) -> Tensor<Scalar> {
    precondition(batchSize > 0 ? tokenLogProbabilities.count % batchSize == 0 : tokenLogProbabilities.count == 0,
                 "sequenceSums: \(tokenLogProbabilities.shape) is not \(batchSize) rows")
    if batchSize == 0 { return Tensor.zeros([0]) }
    let length = tokenLogProbabilities.count / batchSize
    var x = tokenLogProbabilities.reshaped([batchSize, length])
    if let weights {
        precondition(weights.count == batchSize * length, "sequenceSums: \(weights.count) weights")
        x = x * Tensor(shape: [batchSize, length], scalars: weights.map { Scalar($0) })
    }
    return x.sum(axis: 1)
}

/// The number of scored targets (not −100) in each of `batchSize` equal rows of `targets`.
func scoredTokenCounts(_ targets: [Int], batchSize: Int) -> [Int] {
    let length = batchSize > 0 ? targets.count / batchSize : 0
    return (0..<batchSize).map { b in targets[b * length..<(b + 1) * length].lazy.filter { $0 != ignoreIndex }.count }
}
