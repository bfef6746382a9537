import CKernels

extension Kernels {
    /// Rotary embedding over `[rows, heads, headDim]` (see `st_rope_f32`); `inverse` rotates by −angle.
    @_specialize(where S == Float)
    static func rope<S: TensorScalar>(_ out: UnsafeMutablePointer<S>, _ x: UnsafePointer<S>,
                                      cos: UnsafePointer<S>, sin: UnsafePointer<S>, positions: UnsafePointer<Int64>,
                                      rows: Int, heads: Int, headDim: Int, rotaryDim: Int, inverse: Bool) {
        if S.self == Float.self {
            return st_rope_f32(floats(out), floats(x), floats(cos), floats(sin), positions, Int64(rows), Int64(heads),
                               Int64(headDim), Int64(rotaryDim), inverse ? 1 : 0)
        }
        let half = rotaryDim / 2
        for r in 0..<rows {
            let p = Int(positions[r])
            for h in 0..<heads {
                let base = (r * heads + h) * headDim
                for i in 0..<half {
                    let c = cos[p * half + i], s = inverse ? -sin[p * half + i] : sin[p * half + i]
                    let a = x[base + i], b = x[base + i + half]
                    out[base + i] = a * c - b * s
                    out[base + i + half] = b * c + a * s
                }
                for i in rotaryDim..<headDim { out[base + i] = x[base + i] }
            }
        }
    }
}
