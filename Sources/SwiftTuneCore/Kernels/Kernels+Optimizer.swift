import CKernels

/// Hyperparameters of one AdamW step with its bias corrections.
struct AdamWStep {
    var learningRate: Double
    var beta1: Double
    var beta2: Double
    var epsilon: Double
    var weightDecay: Double
    var biasCorrection1: Double
    var biasCorrection2Sqrt: Double
}

extension Kernels {
    /// One AdamW step over flat buffers (see `st_adamw_f32`); `Double` runs the same arithmetic in Swift.
    @_specialize(where S == Float)
    static func adamw<S: TensorScalar>(parameters theta: UnsafeMutablePointer<S>, m: UnsafeMutablePointer<S>,
                                       v: UnsafeMutablePointer<S>, gradient g: UnsafePointer<S>, count n: Int,
                                       _ s: AdamWStep) {
        if S.self == Float.self {
            let p = st_adamw_params(lr: Float(s.learningRate), beta1: Float(s.beta1), beta2: Float(s.beta2),
                                    eps: Float(s.epsilon), weight_decay: Float(s.weightDecay),
                                    bias_correction1: Float(s.biasCorrection1),
                                    bias_correction2_sqrt: Float(s.biasCorrection2Sqrt))
            return st_adamw_f32(floats(theta), floats(m), floats(v), floats(g), Int64(n), p)
        }
        let decay = S(1 - s.learningRate * s.weightDecay)
        let stepSize = S(s.learningRate / s.biasCorrection1)
        let (b1, b2, eps, bc2) = (S(s.beta1), S(s.beta2), S(s.epsilon), S(s.biasCorrection2Sqrt))
        for i in 0..<n {
            theta[i] *= decay
            m[i] += (1 - b1) * (g[i] - m[i])
            v[i] = v[i] * b2 + (1 - b2) * g[i] * g[i]
            theta[i] -= stepSize * (m[i] / (v[i].squareRoot() / bc2 + eps))
        }
    }
}
