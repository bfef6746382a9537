/// One vertex of the autograd graph: a leaf (a tensor made with ``Tensor/requiringGradient()``) or the result of
/// an operation, with the closure that maps the gradient of its output to the gradients of its inputs.
///
/// Closures capture *detached* tensors (no node), so the graph only points from outputs to inputs and is freed as
/// soon as the last output goes away or ``Tensor/backward(_:)`` has consumed it.
final class GradNode<Scalar: TensorElement> {
    /// The nodes of the operation's inputs, aligned with the operation's arguments; `nil` for an input that does
    /// not require gradients (no gradient is computed for it).
    let inputs: [GradNode?]
    /// Maps the output gradient to one gradient per input (`nil` where `inputs[i] == nil`).
    /// Set to `nil` once used, which frees the tensors it saved.
    var backward: ((Tensor<Scalar>) -> [Tensor<Scalar>?])?
    /// Accumulated gradient of a leaf.
    var grad: Tensor<Scalar>?
    /// The shape of the value this node produced (gradients must have it).
    let shape: [Int]
    /// The operation's name, for error messages and debugging.
    let name: String

    var isLeaf: Bool { inputs.isEmpty }

    init(leafWithShape shape: [Int]) {
        inputs = []
        backward = nil
        self.shape = shape
        name = "leaf"
    }

    init(name: String, shape: [Int], inputs: [GradNode?], backward: @escaping (Tensor<Scalar>) -> [Tensor<Scalar>?]) {
        self.name = name
        self.shape = shape
        self.inputs = inputs
        self.backward = backward
    }
}
