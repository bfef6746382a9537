/// A building block of a model that owns parameters.
///
/// Layers are classes (they own mutable parameters) and expose them through ``parameters``, in a stable order
/// that optimizers, checkpoints and weight files rely on.
public protocol Layer: AnyObject {
    associatedtype Scalar: TensorScalar
    /// Every parameter of this layer and its sublayers, in a stable order.
    var parameters: [Parameter<Scalar>] { get }
}

extension Layer {
    /// Parameters that currently require gradients.
    public var trainableParameters: [Parameter<Scalar>] { parameters.filter(\.isTrainable) }

    /// The number of scalars in all parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Clears every parameter's gradient.
    public func zeroGradients() { parameters.forEach { $0.zeroGradient() } }
}
