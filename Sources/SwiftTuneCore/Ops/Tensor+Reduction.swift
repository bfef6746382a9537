/// Reductions along one axis or all axes.
///
/// Every reduction views the tensor as `[outer, n, inner]` around the reduced axis, so one kernel serves every
/// axis without transposing.
extension Tensor where Scalar: TensorScalar {
    @_specialize(where Scalar == Float)
    func reductionView(_ axis: Int) -> (outer: Int, n: Int, inner: Int, axis: Int) {
        let a = Shape.axis(axis, rank: rank)
        let outer = shape[..<a].reduce(1, *)
        let inner = shape[(a + 1)...].reduce(1, *)
        return (outer, shape[a], inner, a)
    }

    @_specialize(where Scalar == Float)
    func reducedShape(_ axis: Int, keepingDimension: Bool) -> [Int] {
        var s = shape
        if keepingDimension { s[axis] = 1 } else { s.remove(at: axis) }
        return s
    }

    /// Raw reduction without autograd.
    @_specialize(where Scalar == Float)
    func reduced(axis: Int, _ op: ReduceOp, keepingDimension: Bool) -> Tensor {
        let v = reductionView(axis)
        let input = detached
        return Tensor(shape: reducedShape(v.axis, keepingDimension: keepingDimension)) { out in
            Kernels.reduce(out.baseAddress!, input.storage.pointer, outer: v.outer, n: v.n, inner: v.inner, op)
        }
    }

    /// Sum along `axis`. ∂/∂x = g broadcast back along the axis.
    @_specialize(where Scalar == Float)
    public func sum(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let v = reductionView(axis)
        let out = reduced(axis: axis, .sum, keepingDimension: keepingDimension)
        let inputShape = shape
        return Tensor.record("sum", out, inputs: [self]) { g, _ in
            [g.reshapedStorage(Tensor.keptShape(inputShape, axis: v.axis)).broadcast(to: inputShape)]
        }
    }

    /// Sum of all elements, as a scalar tensor.
    @_specialize(where Scalar == Float)
    public func sum() -> Tensor { reshaped([count]).sum(axis: 0).reshaped([]) }

    /// Mean along `axis`.
    @_specialize(where Scalar == Float)
    public func mean(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let n = shape[Shape.axis(axis, rank: rank)]
        return sum(axis: axis, keepingDimension: keepingDimension).scaled(by: 1 / Scalar(n))
    }

    /// Mean of all elements, as a scalar tensor.
    @_specialize(where Scalar == Float)
    public func mean() -> Tensor { sum().scaled(by: 1 / Scalar(count)) }

    /// Maximum along `axis`; the gradient flows to the first maximal element (as `torch.max(dim=)` does).
    @_specialize(where Scalar == Float)
    public func max(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let v = reductionView(axis)
        let out = reduced(axis: axis, .max, keepingDimension: keepingDimension)
        let indices = argmax(axis: axis)
        let inputShape = shape
        return Tensor.record("max", out, inputs: [self]) { g, _ in
            [Tensor(shape: inputShape) { dx in
                dx.initialize(repeating: 0)
                indices.withUnsafeScalars { idx in
                    for o in 0..<v.outer { for i in 0..<v.inner {
                        dx[(o * v.n + Int(idx[o * v.inner + i])) * v.inner + i] = g.storage.pointer[o * v.inner + i]
                    } }
                }
            }]
        }
    }

    /// Index of the first maximum along `axis` (not differentiable).
    @_specialize(where Scalar == Float)
    public func argmax(axis: Int) -> Tensor<Int64> {
        let v = reductionView(axis)
        let input = detached
        return Tensor<Int64>(shape: reducedShape(v.axis, keepingDimension: false)) { out in
            Kernels.argmax(out.baseAddress!, input.storage.pointer, outer: v.outer, n: v.n, inner: v.inner)
        }
    }

    /// log Σ exp along `axis`, computed stably (max subtracted). ∂/∂x = softmax(x) · g.
    @_specialize(where Scalar == Float)
    public func logSumExp(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let v = reductionView(axis)
        let out = reduced(axis: axis, .logSumExp, keepingDimension: keepingDimension)
        let (input, saved) = (detached, out.detached)
        let inputShape = shape
        return Tensor.record("logSumExp", out, inputs: [self]) { g, _ in
            let kept = Tensor.keptShape(inputShape, axis: v.axis)
            let shifted = Tensor.elementwise(input, saved.reshapedStorage(kept), .subtract).unary(.exp)
            return [Tensor.elementwise(shifted, g.reshapedStorage(kept), .multiply)]
        }
    }

    @_specialize(where Scalar == Float)
    static func keptShape(_ shape: [Int], axis: Int) -> [Int] {
        var s = shape
        s[axis] = 1
        return s
    }
}
