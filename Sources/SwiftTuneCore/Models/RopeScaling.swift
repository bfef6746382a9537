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
    public func inverseFrequencies(rotaryDimension r: Int, theta: Double) -> [Double] {
        let base = (0..<(r / 2)).map { i -> Double in
            // transformers computes these in float32; round the same way so tables match its cos/sin.
            Double(Float(1 / Double.pow(theta, Double(2 * i) / Double(r))))
        }
        switch self {
        case .none:
            return base
        case let .linear(factor):
            return base.map { Double(Float($0 / factor)) }
        case let .llama3(factor, low, high, original):
            let lowWavelength = Double(original) / low, highWavelength = Double(original) / high
            return base.map { f in
                let wavelength = 2 * Double.pi / f
                let scaled = wavelength > lowWavelength ? f / factor : f
                guard wavelength >= highWavelength && wavelength <= lowWavelength else { return Double(Float(scaled)) }
                let smooth = (Double(original) / wavelength - low) / (high - low)
                return Double(Float((1 - smooth) * scaled / factor + smooth * scaled))
            }
        }
    }
}

extension RotaryEmbedding {
    /// The rotary tables of a model: R = ⌊D · partial_rotary_factor⌋ rotated dims per head, frequencies from the
    /// configuration's θ and scaling. Angles are `Float(p) · Float(inv_freq)` rounded to Float before cos/sin, as
    /// transformers' float32 computation does, so long positions match its tables.
    public init(configuration c: ModelConfiguration, maxPositions: Int? = nil) {
        var r = Int(Double(c.headDimension) * c.partialRotaryFactor)
        r -= r % 2
        let inv = c.ropeScaling.inverseFrequencies(rotaryDimension: r, theta: c.ropeTheta)
        self.init(inverseFrequencies: inv, maxPositions: maxPositions ?? c.maxPositions, roundAnglesToFloat: true)
    }
}
