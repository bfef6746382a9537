/// Gradient checkpointing: runs `body` without saving its activations and recomputes them during backward.
///
/// Memory for the block drops from all intermediate activations to its inputs; the cost is one more forward pass
/// of the block (Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost"). Gradients are the same as
/// without checkpointing as long as `body` is deterministic — seeded dropout is, since its mask depends only on
/// `(seed, offset)`.
///
/// Parameters captured by `body` receive their gradients during the recomputation, like any leaf.
///
/// ```swift
/// let h = checkpoint([x]) { xs in block(xs[0]) }
/// ```
public func checkpoint<Scalar: TensorScalar>(
    _ inputs: [Tensor<Scalar>], _ body: @escaping ([Tensor<Scalar>]) -> Tensor<Scalar>
) -> Tensor<Scalar> {
    let detachedInputs = inputs.map(\.detached)
    let output = withoutGradients { body(detachedInputs) }
    guard GradMode.isEnabled else { return output }
    // The block may depend on captured parameters even when no input requires gradients, so it is always
    // recorded; the extra `nil` input keeps the node a non-leaf so backward always reaches the recomputation.
    let nodes = inputs.map(\.node)
    let node = GradNode<Scalar>(name: "checkpoint", shape: output.shape, inputs: nodes + [nil]) { gradient in
        let leaves = zip(detachedInputs, nodes).map { input, node in node == nil ? input : input.requiringGradient() }
        let recomputed = withGradients { body(leaves) }
        if let root = recomputed.node {
            Tensor<Scalar>.runBackward(from: root, seed: gradient)
        }
        let inputGradients = zip(leaves, nodes).map { leaf, node in
            node == nil ? nil : (leaf.grad ?? Tensor<Scalar>.zeros(leaf.shape))
        }
        return inputGradients + [nil]
    }
    return Tensor(shape: output.shape, storage: output.storage, node: node)
}
