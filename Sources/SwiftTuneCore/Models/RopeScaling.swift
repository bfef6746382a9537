/// How RoPE frequencies are rescaled for longer contexts (`rope_scaling` / `rope_parameters` in `config.json`).
public enum RopeScaling: Sendable, Equatable {
    /// Plain RoPE.
    case none
    /// Position interpolation: every inverse frequency divided by `factor`.
    case linear(factor: Double)
    /// Llama 3.1's piecewise scaling: low frequencies (wavelength > original / lowFrequencyFactor) are divided by
    /// `factor`, high ones kept, and the band between interpolated smoothly.
    case llama3(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalMaxPositions: Int)

    /// The inverse frequencies for rotary dimension R and base θ, as transformers computes them
    /// (`_compute_default_rope_parameters`, `_compute_linear_scaling_rope_parameters`, `_compute_llama3_parameters`).
    ///
    /// The arithmetic is float32, step for step, because transformers computes these tables in float32 and a
    /// one-ulp difference in a frequency shows in the angle at long positions.
    public func inverseFrequencies(rotaryDimension r: Int, theta: Double) -> [Double] {
        let base: [Float] = (0..<(r / 2)).map { i in
            1 / Float.pow(Float(theta), Float(2 * i) / Float(r))
        }
        switch self {
        case .none:
            return base.map(Double.init)
        case let .linear(factor):
            return base.map { Double($0 / Float(factor)) }
        case let .llama3(factor, low, high, original):
            let (f, lo, hi, old) = (Float(factor), Float(low), Float(high), Float(original))
            let lowWavelength = old / lo, highWavelength = old / hi
            return base.map { inv in
                let wavelength = Float(2 * Double.pi) / inv   // Float.pi rounds toward zero; torch rounds 2π to nearest
                let scaled = wavelength > lowWavelength ? inv / f : inv
                guard !(wavelength < highWavelength) && !(wavelength > lowWavelength) else { return Double(scaled) }
                let smooth = (old / wavelength - lo) / (hi - lo)
                return Double((1 - smooth) * scaled / f + smooth * scaled)
            }
        }
    }
}

extension RotaryEmbedding {
    /// The rotary tables of a model: R = ⌊D · partial_rotary_factor⌋ rotated dims per head, frequencies from the
    /// configuration's θ and scaling. Angles are `Float(p) · Float(inv_freq)` rounded to Float before cos/sin, as
    /// transformers' float32 computation does, so long positions match its tables.
    public init(configuration c: ModelConfiguration, maxPositions: Int? = nil) {
        // validate() keeps the factor in (0, 1]; a configuration built in code with another value rotates nothing
        // rather than trapping in the conversion.
        let factor = c.partialRotaryFactor.isFinite ? Swift.min(Swift.max(c.partialRotaryFactor, 0), 1) : 0
        var r = Int(Double(Swift.max(c.headDimension, 0)) * factor)
        r -= r % 2
        let inv = c.ropeScaling.inverseFrequencies(rotaryDimension: r, theta: c.ropeTheta)
        self.init(inverseFrequencies: inv, maxPositions: maxPositions ?? c.maxPositions, roundAnglesToFloat: true)
    }
}
