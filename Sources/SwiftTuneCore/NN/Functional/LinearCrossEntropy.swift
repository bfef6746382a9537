/// Cross-entropy of the logits `hidden · weightᵀ` computed a chunk of rows at a time, so the `[N, V]` logits and
/// their gradient are never stored whole:
///
///     loss = Σ_i −log softmax(h_i · Wᵀ)[t_i] / normalizer      (rows with t_i = −100 not scored)
///
/// Meant for the output layer of a model whose output weight is frozen (LoRA, QLoRA): for each chunk of rows the
/// logits and the loss are computed, `∂loss/∂logits` is written over the logits, and it is immediately turned into
/// `∂loss/∂h = ∂loss/∂logits · W`, so the peak is one chunk's logits (`chunkRows` · V floats) instead of the
/// logits and their gradient for all rows (2 · N · V). On the SmolLM-135M shape at 512 tokens that is
/// 2 × 100.7 MB → 25 MB (4 chunks of 128 rows).
///
/// When `weight` requires a gradient (full fine-tuning), or gradients are not being recorded, this is exactly
/// `crossEntropy(logits: matmul(hidden, weight, transposeB: true), …)`: a trainable W needs `∂loss/∂W`, whose
/// gemm is efficient only over all rows at once.
///
/// - Parameters:
///   - hidden: `[N, C]`.
///   - weight: `[V, C]`.
///   - targets: N class ids, or ``ignoreIndex``.
///   - normalizer: the divisor of the summed loss; default the number of scored rows.
///   - chunkRows: rows per chunk; default about 8M logits per chunk.
/// - Returns: the scalar loss.
public func linearCrossEntropy<Scalar: TensorScalar>(hidden: Tensor<Scalar>, weight: Tensor<Scalar>, targets: [Int],
                                                      normalizer: Double? = nil, chunkRows: Int? = nil) -> Tensor<Scalar> {
    precondition(hidden.rank == 2 && weight.rank == 2 && hidden.shape[1] == weight.shape[1],
                 "linearCrossEntropy: hidden \(hidden.shape) and weight \(weight.shape) must be [N, C] and [V, C]")
    let (rows, vocabulary) = (hidden.shape[0], weight.shape[0])
    precondition(targets.count == rows, "linearCrossEntropy: \(targets.count) targets for hidden \(hidden.shape)")
    guard GradMode.isEnabled, hidden.requiresGradient, !weight.requiresGradient, rows > 0 else {
        return crossEntropy(logits: matmul(hidden, weight, transposeB: true), targets: targets, normalizer: normalizer)
    }
    let w = weight.detached
    return chunkedCrossEntropy(hidden: hidden, vocabularySize: vocabulary, targets: targets, normalizer: normalizer,
                               chunkRows: chunkRows, logits: { matmul($0, w, transposeB: true) },
                               inputGradient: { matmul($0, w) })
}

/// ``linearCrossEntropy(hidden:weight:targets:normalizer:chunkRows:)`` for an output weight that is not a float
/// tensor (a ``BFloat16Matrix``): `logits(h)` is `h · Wᵀ` for a chunk `[n, C]` → `[n, V]`, `inputGradient(g)` is
/// `g · W` for `[n, V]` → `[n, C]`, both called without recording gradients. Only `hidden` gets a gradient.
/// The caller has checked that gradients are recorded, `hidden` requires one and `hidden` has rows.
func chunkedCrossEntropy<Scalar: TensorScalar>(
    hidden: Tensor<Scalar>, vocabularySize vocabulary: Int, targets: [Int], normalizer: Double?, chunkRows: Int? = nil,
    logits chunkLogits: (Tensor<Scalar>) -> Tensor<Scalar>, inputGradient: (Tensor<Scalar>) -> Tensor<Scalar>
) -> Tensor<Scalar> {
    let rows = hidden.shape[0]
    precondition(targets.count == rows, "linearCrossEntropy: \(targets.count) targets for hidden \(hidden.shape)")
    let divisor = normalizer ?? Double(targets.lazy.filter { $0 != ignoreIndex }.count)
    let target = max(1, chunkRows ?? (1 << 23) / max(1, vocabulary))
    let chunks = (rows + target - 1) / target
    let step = max(1, (rows + chunks - 1) / max(1, chunks))   // equal chunks, not a short last one
    for t in targets where t != ignoreIndex {
        precondition(t >= 0 && t < vocabulary, "linearCrossEntropy target \(t) outside 0..<\(vocabulary)")
    }
    let h = hidden.detached
    let scale = Scalar(divisor > 0 ? 1 / divisor : 0)
    var total = 0.0
    var inputGradients: [Tensor<Scalar>] = []
    for start in stride(from: 0, to: rows, by: step) {
        let end = min(rows, start + step)
        // The chunk's loss, then ∂loss/∂logits written over the logits themselves (no second [n, V] buffer).
        var logits = withoutGradients { chunkLogits(h.slice(axis: 0, start..<end)) }
        let n = end - start
        let perRow = Kernels.crossEntropyInPlace(&logits, targets: targets[start..<end].map(Int64.init),
                                                 dloss: [Scalar](repeating: scale, count: n),
                                                 vocabulary: vocabulary, ignoreIndex: ignoreIndex)
        total += perRow.reduce(0.0) { $0 + $1.doubleValue }
        inputGradients.append(withoutGradients { inputGradient(logits) })
    }
    let dHidden = Tensor.concatenate(inputGradients, axis: 0)
    return Tensor.record("linearCrossEntropy", Tensor(scalar: Scalar(divisor > 0 ? total / divisor : 0)), inputs: [hidden]) { gradient, needs in
        [needs[0] ? dHidden.scaled(by: gradient.item) : nil]
    }
}
