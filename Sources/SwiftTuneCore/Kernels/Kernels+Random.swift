import CKernels

extension Kernels {
    @_specialize(where S == Float)
    static func randomUniform<S: TensorScalar>(_ out: UnsafeMutableBufferPointer<S>, seed: UInt64, offset: UInt64,
                                               low: S, high: S) {
        if S.self == Float.self, let base = out.baseAddress {
            return st_random_uniform_f32(floats(base), Int64(out.count), seed, offset, low as! Float, high as! Float)
        }
        for k in 0..<out.count {
            let u = RandomGenerator.unit24(seed: seed, index: offset &+ UInt64(k))
            out[k] = low + (high - low) * S(u)
        }
    }

    @_specialize(where S == Float)
    static func randomNormal<S: TensorScalar>(_ out: UnsafeMutableBufferPointer<S>, seed: UInt64, offset: UInt64,
                                              mean: S, standardDeviation: S) {
        if S.self == Float.self, let base = out.baseAddress {
            return st_random_normal_f32(floats(base), Int64(out.count), seed, offset, mean as! Float,
                                        standardDeviation as! Float)
        }
        for k in 0..<out.count {
            let z = Self.boxMuller(seed: seed, offset: offset, k: UInt64(k))
            out[k] = mean + standardDeviation * S(z)
        }
    }

    /// Standard normal number k of the stream: u1 from counter offset+2k, u2 from offset+2k+1.
    static func boxMuller(seed: UInt64, offset: UInt64, k: UInt64) -> Double {
        let u1 = 1 - RandomGenerator.unit24(seed: seed, index: offset &+ 2 &* k)
        let u2 = RandomGenerator.unit24(seed: seed, index: offset &+ 2 &* k &+ 1)
        return (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * Double.pi * u2)
    }

    /// Inverted dropout with a mask regenerated from `(seed, offset)`.
    @_specialize(where S == Float)
    static func dropout<S: TensorScalar>(_ out: UnsafeMutablePointer<S>, _ x: UnsafePointer<S>, count n: Int,
                                         probability p: Double, seed: UInt64, offset: UInt64) {
        if S.self == Float.self {
            return st_dropout_f32(floats(out), floats(x), Int64(n), Float(p), seed, offset)
        }
        let scale = S(1 / (1 - p))
        for k in 0..<n {
            let u = RandomGenerator.unit24(seed: seed, index: offset &+ UInt64(k))
            out[k] = p == 0 ? x[k] : (u >= Double(Float(p)) ? x[k] * scale : 0)
        }
    }
}
