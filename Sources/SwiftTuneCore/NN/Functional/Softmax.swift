/// Softmax over the last axis: `y = exp(x − max) / Σ exp(x − max)`.
///
/// - Parameter x: `[..., C]`. Returns `[..., C]`.
///
/// Backward uses the saved output: ∂x = y · (∂y − Σ ∂y·y).
@_specialize(where Scalar == Float)
public func softmax<Scalar: TensorScalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    let columns = x.shape.last ?? 1
    let rows = columns == 0 ? 0 : x.count / columns
    let cx = x.detached
    let out = Tensor<Scalar>(shape: x.shape) { out in
        Kernels.softmaxForward(out.baseAddress!, cx.storage.pointer, rows: rows, columns: columns)
    }
    let y = out.detached
    return Tensor.record("softmax", out, inputs: [x]) { g, _ in
        [Tensor(shape: g.shape) { dx in
            Kernels.softmaxBackward(dx.baseAddress!, y: y.storage.pointer, dy: g.storage.pointer, rows: rows, columns: columns)
        }]
    }
}

/// Log-softmax over the last axis: `y = x − logsumexp(x)`.
///
/// - Parameter x: `[..., C]`. Returns `[..., C]`.
///
/// Backward: ∂x = ∂y − exp(y) · Σ ∂y.
@_specialize(where Scalar == Float)
public func logSoftmax<Scalar: TensorScalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    let columns = x.shape.last ?? 1
    let rows = columns == 0 ? 0 : x.count / columns
    let cx = x.detached
    let out = Tensor<Scalar>(shape: x.shape) { out in
        Kernels.logSoftmaxForward(out.baseAddress!, cx.storage.pointer, rows: rows, columns: columns)
    }
    let y = out.detached
    return Tensor.record("logSoftmax", out, inputs: [x]) { g, _ in
        [Tensor(shape: g.shape) { dx in
            Kernels.logSoftmaxBackward(dx.baseAddress!, y: y.storage.pointer, dy: g.storage.pointer, rows: rows, columns: columns)
        }]
    }
}
