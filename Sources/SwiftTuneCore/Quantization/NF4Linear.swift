/// A frozen linear layer whose weight is stored in NF4: `y = x · W'ᵀ + b` with `W'` the dequantized
/// ``NF4Weight`` `[out, in]` — bitsandbytes' `Linear4bit` (quant_type "nf4"), the base layer of QLoRA.
///
/// - Input `[..., in]`, output `[..., out]`; the leading axes fold into one product.
/// - The forward pass multiplies by the 4-bit weight directly (tiles are decoded into stack buffers; W' is never
///   materialised). Backward gives the input gradient `dx = dy · W'` the same way and, through the `+ b`, the bias
///   gradient when the bias is trainable; the weight is frozen and gets none (QLoRA trains adapters over it).
/// - The block absmax are decoded to float32 once, at construction (4 bytes per 64 weights, 1/64 of the float32
///   weight), so double quantization saves memory in ``weight`` but not in this cache.
///
/// ```swift
/// let q = NF4Linear(quantizing: dense)          // from a Linear<Float>, double-quantized absmax
/// let y = q(x)                                   // x [B, T, in] → [B, T, out]
/// ```
public final class NF4Linear: LinearLayer {
    public typealias Scalar = Float

    /// The quantized weight `[out, in]`.
    public let weight: NF4Weight
    /// The bias `[out]` (kept in float32, with its own trainability), or none.
    public let bias: Parameter<Float>?
    /// The parameter path prefix, e.g. `model.layers.0.self_attn.q_proj`.
    public let path: String
    /// ``weight``'s absmax in float32, one per block of 64.
    let absmax: [Float]

    public var inputFeatures: Int { weight.shape[1] }
    public var outputFeatures: Int { weight.shape[0] }

    /// A layer around a quantized weight `[out, in]`.
    /// - Throws: ``NF4Error/notAMatrix(path:shape:)`` for another rank, ``NF4Error/sizeMismatch(what:expected:actual:)``
    ///   when the bias is not `[out]`.
    public init(weight: NF4Weight, bias: Parameter<Float>? = nil, path: String) throws(NF4Error) {
        guard weight.shape.count == 2 else { throw .notAMatrix(path: path, shape: weight.shape) }
        if let bias, bias.shape != [weight.shape[0]] {
            throw .sizeMismatch(what: "\(bias.path): bias elements", expected: weight.shape[0], actual: bias.value.count)
        }
        self.weight = weight
        self.bias = bias
        self.path = path
        self.absmax = weight.scales.absmax()
    }

    /// Quantizes a dense layer's weight; its bias (if any) is shared, not copied.
    public convenience init(quantizing layer: Linear<Float>, doubleQuantization: Bool = true) {
        let q = NF4Weight.quantize(from: layer.weight.value.detached, doubleQuantization: doubleQuantization)
        try! self.init(weight: q, bias: layer.bias, path: layer.path)
    }

    /// Only the bias: the NF4 weight is not a float parameter and is never trained.
    public var parameters: [Parameter<Float>] { bias.map { [$0] } ?? [] }

    /// The dequantized weight `[out, in]` (what DoRA's norm, PiSSA and merging need).
    public func denseWeight() -> Tensor<Float> { weight.dequantize(absmax: absmax) }

    /// `x · W'ᵀ + b` for `x` of shape `[..., in]`.
    public func callAsFunction(_ x: Tensor<Float>) -> Tensor<Float> {
        precondition(x.shape.last == inputFeatures, "\(path): input \(x.shape) for NF4 weight \(weight.shape)")
        let (input, output) = (inputFeatures, outputFeatures)
        let rows = input == 0 ? 0 : x.count / input
        let cx = x.detached
        let y = Tensor<Float>(shape: Array(x.shape.dropLast()) + [output]) { out in
            guard let yp = out.baseAddress else { return }
            withWeight { packed, absmax in
                Kernels.nf4Matmul(y: yp, x: cx.storage.pointer, packed: packed, absmax: absmax, rows: rows,
                                  inputFeatures: input, outputFeatures: output)
            }
        }
        let result = Tensor.record("nf4_linear", y, inputs: [x]) { g, _ in
            let dx = Tensor<Float>(shape: cx.shape) { dxp in
                guard let dp = dxp.baseAddress else { return }
                self.withWeight { packed, absmax in
                    Kernels.nf4MatmulBackwardInput(dx: dp, dy: g.storage.pointer, packed: packed, absmax: absmax,
                                                   rows: rows, inputFeatures: input, outputFeatures: output)
                }
            }
            return [dx]
        }
        return bias.map { result + $0.value } ?? result
    }

    /// Runs `body` with the packed codes and the float32 absmax (never empty: a layer has at least one weight,
    /// or `body` is not called).
    private func withWeight(_ body: (UnsafePointer<UInt8>, UnsafePointer<Float>) -> Void) {
        weight.packed.withUnsafeBufferPointer { p in
            absmax.withUnsafeBufferPointer { a in
                guard let pp = p.baseAddress, let ap = a.baseAddress else { return }
                body(pp, ap)
            }
        }
    }
}

extension NF4Linear: FrozenLinearGradient {
    func inputGradient(_ g: UnsafePointer<Float>, rows: Int, into dx: UnsafeMutablePointer<Float>) {
        withWeight { packed, absmax in
            Kernels.nf4MatmulBackwardInput(dx: dx, dy: g, packed: packed, absmax: absmax, rows: rows,
                                           inputFeatures: inputFeatures, outputFeatures: outputFeatures)
        }
    }
}
