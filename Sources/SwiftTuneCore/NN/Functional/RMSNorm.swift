/// Root-mean-square normalisation over the last axis (Zhang & Sennrich 2019), as Llama / Qwen use it:
///
///     y = x · rstd · w,   rstd = 1 / √(mean(x²) + ε)
///
/// - Parameters:
///   - x: `[..., C]`.
///   - weight: `[C]`, or `nil` for no affine weight.
///   - epsilon: added to the mean square (`rms_norm_eps` in a Hugging Face config).
/// - Returns: `[..., C]`.
///
/// One fused kernel forward and one backward: with x̂ = x·rstd and g = ∂y·w,
/// ∂x = rstd · (g − x̂ · mean(g·x̂)) and ∂w = Σ_rows ∂y·x̂. Only `rstd` (one number per row) is saved.
@_specialize(where Scalar == Float)
public func rmsNorm<Scalar: TensorScalar>(_ x: Tensor<Scalar>, weight: Tensor<Scalar>?, epsilon: Double) -> Tensor<Scalar> {
    let columns = x.shape.last ?? 1
    if let weight { precondition(weight.shape == [columns], "rmsNorm weight \(weight.shape) for input \(x.shape)") }
    let rows = columns == 0 ? 0 : x.count / columns
    let (cx, cw) = (x.detached, weight?.detached)
    var rstd = Tensor<Scalar>.zeros([rows])
    let out = Tensor<Scalar>(shape: x.shape) { out in
        rstd.withUnsafeMutableScalars { r in
            Kernels.rmsNormForward(out.baseAddress!, rstd: r.baseAddress!, x: cx.storage.pointer,
                                   weight: cw?.storage.pointer, rows: rows, columns: columns, epsilon: epsilon)
        }
    }
    let savedRstd = rstd
    let inputs = weight.map { [x, $0] } ?? [x]
    return Tensor.record("rmsNorm", out, inputs: inputs) { g, needs in
        var dx: Tensor<Scalar>? = needs[0] ? Tensor.zeros(cx.shape) : nil
        var dw: Tensor<Scalar>? = needs.count > 1 && needs[1] ? Tensor.zeros([columns]) : nil
        let dxPointer = dx?.withUnsafeMutableScalars { $0.baseAddress }
        let dwPointer = dw?.withUnsafeMutableScalars { $0.baseAddress }
        Kernels.rmsNormBackward(dx: dxPointer, dweight: dwPointer, dout: g.storage.pointer, x: cx.storage.pointer,
                                weight: cw?.storage.pointer, rstd: savedRstd.storage.pointer, rows: rows, columns: columns)
        return weight == nil ? [dx] : [dx, dw]
    }
}
