/// A named, mutable model weight: the box that layers hold and optimizers update in place.
///
/// `value` is a leaf tensor; while ``isTrainable`` it requires gradients, and ``grad`` is what backward
/// accumulated for it. A frozen parameter (a LoRA base weight) is a plain constant: no gradient memory, and the
/// operations that use it skip their weight-gradient work.
public final class Parameter<Scalar: TensorScalar> {
    /// Where the parameter sits in its model, e.g. `model.layers.3.self_attn.q_proj.weight`
    /// (Hugging Face naming, so safetensors keys map one to one).
    public let path: String
    /// The current value (a leaf).
    public private(set) var value: Tensor<Scalar>
    /// Whether backward computes a gradient for this parameter.
    public var isTrainable: Bool {
        didSet { if isTrainable != oldValue { value = isTrainable ? value.detached.requiringGradient() : value.detached } }
    }

    /// A parameter at `path` with an initial value.
    public init(_ value: Tensor<Scalar>, path: String, trainable: Bool = true) {
        self.path = path
        self.isTrainable = trainable
        self.value = trainable ? value.detached.requiringGradient() : value.detached
    }

    /// The accumulated gradient, or `nil` (frozen, or no backward yet).
    public var grad: Tensor<Scalar>? { value.grad }

    /// Clears the accumulated gradient.
    public func zeroGradient() { value.zeroGradient() }

    /// The shape of the value.
    public var shape: [Int] { value.shape }

    /// Replaces the value (same shape), keeping trainability; the old gradient is dropped.
    public func assign(_ newValue: Tensor<Scalar>) {
        precondition(newValue.shape == value.shape, "\(path): assigning shape \(newValue.shape) to \(value.shape)")
        value = isTrainable ? newValue.detached.requiringGradient() : newValue.detached
    }

    /// Writes the value in place (the autograd leaf and its gradient stay attached).
    public func updateInPlace<R>(_ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try value.withUnsafeMutableScalars(body)
    }
}
