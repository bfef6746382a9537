/// Rotary position embedding tables (Su et al. 2021) in Hugging Face's non-interleaved convention.
///
/// For rotary dimension R (even, ≤ head dim D) and frequency `inv_freq_i = θ^(−2i/R)`, i < R/2, the tables hold
/// `cos(p · inv_freq_i)` and `sin(p · inv_freq_i)` for positions p < `maxPositions`, shape `[P, R/2]`.
/// Frequencies are computed in `Double`, then rounded once.
public struct RotaryEmbedding<Scalar: TensorScalar> {
    /// Rotated dimensions per head (R).
    public let rotaryDimension: Int
    /// Number of positions the tables cover.
    public let maxPositions: Int
    /// `[P, R/2]`.
    public let cosTable: Tensor<Scalar>
    /// `[P, R/2]`.
    public let sinTable: Tensor<Scalar>

    /// Tables from explicit inverse frequencies (for scaled variants such as llama3 or linear scaling).
    ///
    /// With `roundAnglesToFloat`, each angle is computed as `Float(p) · Float(inv_freq)` in float32 before its cosine
    /// (transformers' float32 arithmetic); otherwise in Double.
    public init(inverseFrequencies: [Double], maxPositions: Int, attentionScaling: Double = 1,
                roundAnglesToFloat: Bool = false) {
        let half = inverseFrequencies.count
        rotaryDimension = 2 * half
        self.maxPositions = maxPositions
        var c = [Scalar](repeating: 0, count: maxPositions * half)
        var s = c
        for p in 0..<maxPositions {
            for i in 0..<half {
                let angle = roundAnglesToFloat ? Double(Float(p) * Float(inverseFrequencies[i]))
                                               : Double(p) * inverseFrequencies[i]
                c[p * half + i] = Scalar(Double.cos(angle) * attentionScaling)
                s[p * half + i] = Scalar(Double.sin(angle) * attentionScaling)
            }
        }
        cosTable = Tensor(shape: [maxPositions, half], scalars: c)
        sinTable = Tensor(shape: [maxPositions, half], scalars: s)
    }

    /// Default RoPE: `inv_freq_i = θ^(−2i/R)`.
    public init(rotaryDimension: Int, theta: Double, maxPositions: Int) {
        precondition(rotaryDimension > 0 && rotaryDimension % 2 == 0, "rotary dimension \(rotaryDimension) must be even")
        let freqs = (0..<(rotaryDimension / 2)).map { 1 / Double.pow(theta, Double(2 * $0) / Double(rotaryDimension)) }
        self.init(inverseFrequencies: freqs, maxPositions: maxPositions)
    }

    /// Rotates the first R dims of every head.
    ///
    /// - Parameters:
    ///   - x: `[B, T, H, D]` (or any `[..., H, D]` whose leading axes flatten to the positions' count).
    ///   - positions: one position per `[B, T]` row, restarting at 0 in each packed segment.
    /// - Returns: the same shape. Backward rotates the gradient by the negative angle (the rotation is orthogonal).
    @_specialize(where Scalar == Float)
    public func callAsFunction(_ x: Tensor<Scalar>, positions: [Int]) -> Tensor<Scalar> {
        precondition(x.rank >= 2, "rope input must be [..., H, D]; got \(x.shape)")
        let (heads, headDim) = (x.shape[x.rank - 2], x.shape[x.rank - 1])
        let rows = heads * headDim == 0 ? 0 : x.count / (heads * headDim)
        precondition(positions.count == rows, "rope: \(positions.count) positions for input \(x.shape)")
        precondition(rotaryDimension <= headDim, "rope: rotary dim \(rotaryDimension) > head dim \(headDim)")
        for p in positions { precondition(p >= 0 && p < maxPositions, "rope position \(p) outside 0..<\(maxPositions)") }
        let pos = positions.map(Int64.init)
        let (cx, cosT, sinT, r) = (x.detached, cosTable, sinTable, rotaryDimension)
        func apply(_ input: Tensor<Scalar>, inverse: Bool) -> Tensor<Scalar> {
            Tensor(shape: input.shape) { out in
                pos.withUnsafeBufferPointer { p in
                    Kernels.rope(out.baseAddress!, input.storage.pointer, cos: cosT.storage.pointer, sin: sinT.storage.pointer,
                                 positions: p.baseAddress!, rows: rows, heads: heads, headDim: headDim, rotaryDim: r,
                                 inverse: inverse)
                }
            }
        }
        let out = apply(cx, inverse: false)
        return Tensor.record("rope", out, inputs: [x]) { g, _ in [apply(g, inverse: true)] }
    }
}
