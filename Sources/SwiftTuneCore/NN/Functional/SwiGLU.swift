/// SwiGLU (Shazeer 2020), the gated activation of Llama's MLP: `silu(gate) · up`.
///
/// - Parameters:
///   - gate: any shape (`[..., intermediate]`, the output of `gate_proj`).
///   - up: the same shape (the output of `up_proj`).
/// - Returns: the same shape.
///
/// Fused: no `silu(gate)` intermediate is stored; backward recomputes σ(gate):
/// ∂gate = ∂y · up · σ(1 + gate(1 − σ)), ∂up = ∂y · silu(gate).
@_specialize(where Scalar == Float)
public func swiglu<Scalar: TensorScalar>(gate: Tensor<Scalar>, up: Tensor<Scalar>) -> Tensor<Scalar> {
    precondition(gate.shape == up.shape, "swiglu: gate \(gate.shape) and up \(up.shape) differ")
    let (cg, cu) = (gate.detached, up.detached)
    let out = Tensor<Scalar>(shape: gate.shape) { out in
        Kernels.swigluForward(out.baseAddress!, gate: cg.storage.pointer, up: cu.storage.pointer, count: out.count)
    }
    return Tensor.record("swiglu", out, inputs: [gate, up]) { g, needs in
        var dgate: Tensor<Scalar>? = needs[0] ? Tensor.zeros(cg.shape) : nil
        var dup: Tensor<Scalar>? = needs[1] ? Tensor.zeros(cu.shape) : nil
        Kernels.swigluBackward(dgate: dgate?.withUnsafeMutableScalars { $0.baseAddress },
                               dup: dup?.withUnsafeMutableScalars { $0.baseAddress },
                               dout: g.storage.pointer, gate: cg.storage.pointer, up: cu.storage.pointer, count: g.count)
        return [dgate, dup]
    }
}
