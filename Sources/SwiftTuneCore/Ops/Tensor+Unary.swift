/// Differentiable unary math. `Float` tensors run CKernels' vectorised versions.
///
/// | op | f(x) | f′(x) |
/// |---|---|---|
/// | exp | eˣ | eˣ |
/// | log | ln x | 1/x |
/// | sqrt | √x | 1/(2√x) |
/// | rsqrt | 1/√x | −x^(−3/2)/2 |
/// | tanh | tanh x | 1 − tanh²x |
/// | sigmoid | σ(x) = 1/(1+e⁻ˣ) | σ(1−σ) |
/// | silu | x·σ(x) | σ(1 + x(1−σ)) |
/// | gelu | x·Φ(x) (exact, erf) | Φ(x) + x·φ(x) |
/// | square | x² | 2x |
/// | reciprocal | 1/x | −1/x² |
extension Tensor where Scalar: TensorScalar {
    @_specialize(where Scalar == Float)
    func unary(_ op: UnaryOp) -> Tensor {
        let input = detached
        let out = Tensor(shape: shape) { out in Kernels.unary(out.baseAddress!, input.storage.pointer, count: count, op) }
        let saved = out.detached
        return Tensor.record("\(op)", out, inputs: [self]) { g, _ in
            [Tensor(shape: g.shape) { dx in
                Kernels.unaryBackward(dx.baseAddress!, x: input.storage.pointer, y: saved.storage.pointer,
                                      dy: g.storage.pointer, count: g.count, op)
            }]
        }
    }

    @_specialize(where Scalar == Float)
    public func exp() -> Tensor { unary(.exp) }
    @_specialize(where Scalar == Float)
    public func log() -> Tensor { unary(.log) }
    @_specialize(where Scalar == Float)
    public func sqrt() -> Tensor { unary(.sqrt) }
    @_specialize(where Scalar == Float)
    public func rsqrt() -> Tensor { unary(.rsqrt) }
    @_specialize(where Scalar == Float)
    public func tanh() -> Tensor { unary(.tanh) }
    @_specialize(where Scalar == Float)
    public func sigmoid() -> Tensor { unary(.sigmoid) }
    /// SiLU (swish): x·σ(x), the activation of Llama's MLP.
    @_specialize(where Scalar == Float)
    public func silu() -> Tensor { unary(.silu) }
    /// GELU, exact erf form (PyTorch's default `gelu`).
    @_specialize(where Scalar == Float)
    public func gelu() -> Tensor { unary(.gelu) }
    @_specialize(where Scalar == Float)
    public func square() -> Tensor { unary(.square) }
    @_specialize(where Scalar == Float)
    public func reciprocal() -> Tensor { unary(.reciprocal) }
    @_specialize(where Scalar == Float)
    public func abs() -> Tensor { unary(.abs) }
}
