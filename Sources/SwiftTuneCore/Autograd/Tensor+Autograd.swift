extension Tensor {
    /// `true` when gradients flow to this value (it is a leaf made by ``requiringGradient()`` or was computed
    /// from one while recording).
    public var requiresGradient: Bool { node != nil }

    /// The same value without its autograd record: a constant for everything computed from it. Shares storage.
    public var detached: Tensor { Tensor(shape: shape, storage: storage) }
}

extension Tensor where Scalar: TensorScalar {
    /// The same value as a leaf that accumulates its gradient in ``grad``. Shares storage.
    @_specialize(where Scalar == Float)
    public func requiringGradient() -> Tensor {
        Tensor(shape: shape, storage: storage, node: GradNode(leafWithShape: shape))
    }

    /// The gradient accumulated in a leaf by ``backward(_:)`` calls since the last ``zeroGradient()``;
    /// `nil` before the first backward or for a non-leaf.
    public var grad: Tensor? {
        get { node?.grad }
        nonmutating set {
            precondition(node?.isLeaf == true, "grad can only be set on a leaf that requires gradients")
            if let newValue { precondition(newValue.shape == shape, "gradient shape \(newValue.shape) for \(shape)") }
            node?.grad = newValue
        }
    }

    /// Clears the accumulated gradient of a leaf.
    @_specialize(where Scalar == Float)
    public func zeroGradient() { node?.grad = nil }

    /// Records `result` as computed from `inputs` by an operation called `name`.
    ///
    /// `backward` receives the output gradient and a mask saying which inputs need a gradient, and returns one
    /// gradient per input (`nil` where not needed). Nothing is recorded when gradient recording is off or no input
    /// requires gradients, so frozen weights cost no gradient memory and no gradient FLOPs.
    @_specialize(where Scalar == Float)
    static func record(_ name: String, _ result: Tensor, inputs: [Tensor],
                       backward: @escaping (_ gradient: Tensor, _ needs: [Bool]) -> [Tensor?]) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.node != nil }) else { return result }
        let nodes = inputs.map(\.node)
        let needs = nodes.map { $0 != nil }
        let node = GradNode<Scalar>(name: name, shape: result.shape, inputs: nodes) { gradient in
            backward(gradient, needs)
        }
        return Tensor(shape: result.shape, storage: result.storage, node: node)
    }

    /// Reverse-mode differentiation from this value.
    ///
    /// Adds `∂self/∂leaf · seed` to the ``grad`` of every leaf this value depends on (accumulation, so several
    /// backward calls implement gradient accumulation). `seed` defaults to ones (a scalar loss gives ∂loss/∂leaf).
    /// The graph is consumed: call backward once per forward pass.
    @_specialize(where Scalar == Float)
    public func backward(_ seed: Tensor? = nil) {
        guard let root = node else { return }
        let seed = seed ?? Tensor.ones(shape)
        precondition(seed.shape == shape, "backward seed of shape \(seed.shape) for a value of shape \(shape)")
        withoutGradients { Self.runBackward(from: root, seed: seed.detached) }
    }

    @_specialize(where Scalar == Float)
    static func runBackward(from root: GradNode<Scalar>, seed: Tensor) {
        // Topological order by iterative depth-first search (graphs are thousands of nodes deep).
        var order: [GradNode<Scalar>] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(GradNode<Scalar>, Bool)] = [(root, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded { order.append(node); continue }
            if !visited.insert(ObjectIdentifier(node)).inserted { continue }
            stack.append((node, true))
            for input in node.inputs { if let input, !visited.contains(ObjectIdentifier(input)) { stack.append((input, false)) } }
        }
        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed]
        for node in order.reversed() {
            guard let gradient = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
            precondition(gradient.shape == node.shape,
                         "\(node.name) backward: gradient shape \(gradient.shape) for output shape \(node.shape)")
            if node.isLeaf {
                node.grad = node.grad.map { $0.adding(gradient) } ?? gradient.detached
                continue
            }
            guard let backward = node.backward else {
                preconditionFailure("\(node.name): backward through a graph that was already consumed")
            }
            node.backward = nil
            let inputGradients = backward(gradient)
            precondition(inputGradients.count == node.inputs.count, "\(node.name) returned \(inputGradients.count) gradients")
            for (input, g) in zip(node.inputs, inputGradients) {
                guard let input else { continue }
                guard let g else { preconditionFailure("\(node.name) gave no gradient for an input that needs one") }
                let key = ObjectIdentifier(input)
                if let existing = pending[key] { pending[key] = existing.adding(g) } else { pending[key] = g }
            }
        }
    }
}

/// Evaluates `body` at `inputs` and returns its value with the gradient with respect to each input.
///
/// The inputs are treated as fresh leaves (their own autograd records are ignored); parameters captured by
/// `body` that require gradients also accumulate theirs in ``Tensor/grad`` as usual.
///
/// ```swift
/// let (loss, grads) = valueAndGradient(at: [x]) { xs in (xs[0] * xs[0]).sum() }   // grads[0] == 2x
/// ```
@_specialize(where Scalar == Float)
public func valueAndGradient<Scalar: TensorScalar>(
    at inputs: [Tensor<Scalar>], of body: ([Tensor<Scalar>]) throws -> Tensor<Scalar>
) rethrows -> (value: Tensor<Scalar>, gradients: [Tensor<Scalar>]) {
    let leaves = inputs.map { $0.detached.requiringGradient() }
    let value = try withGradients { try body(leaves) }
    precondition(value.count == 1, "valueAndGradient needs a scalar value; got shape \(value.shape)")
    value.backward()
    return (value.detached, leaves.map { $0.grad ?? Tensor.zeros($0.shape) })
}
