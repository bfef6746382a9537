import CKernels

extension Kernels {
    @_specialize(where S == Float)
    static func rmsNormForward<S: TensorScalar>(_ out: UnsafeMutablePointer<S>, rstd: UnsafeMutablePointer<S>,
                                                x: UnsafePointer<S>, weight: UnsafePointer<S>?,
                                                rows: Int, columns: Int, epsilon: Double) {
        if S.self == Float.self {
            return st_rmsnorm_forward_f32(floats(out), floats(rstd), floats(x), floats(weight),
                                          Int64(rows), Int64(columns), Float(epsilon))
        }
        for r in 0..<rows {
            let row = x + r * columns
            var ss: S = 0
            for c in 0..<columns { ss += row[c] * row[c] }
            let s = 1 / (ss / S(columns) + S(epsilon)).squareRoot()
            rstd[r] = s
            for c in 0..<columns { out[r * columns + c] = row[c] * s * (weight?[c] ?? 1) }
        }
    }

    @_specialize(where S == Float)
    static func rmsNormBackward<S: TensorScalar>(dx: UnsafeMutablePointer<S>?, dweight: UnsafeMutablePointer<S>?,
                                                 dout: UnsafePointer<S>, x: UnsafePointer<S>, weight: UnsafePointer<S>?,
                                                 rstd: UnsafePointer<S>, rows: Int, columns: Int) {
        if S.self == Float.self {
            return st_rmsnorm_backward_f32(floats(dx), floats(dweight), floats(dout), floats(x), floats(weight),
                                           floats(rstd), Int64(rows), Int64(columns))
        }
        for r in 0..<rows {
            let base = r * columns
            let s = rstd[r]
            var dot: S = 0
            for c in 0..<columns { dot += dout[base + c] * (weight?[c] ?? 1) * x[base + c] * s }
            dot /= S(columns)
            for c in 0..<columns {
                let xhat = x[base + c] * s
                dx?[base + c] = s * (dout[base + c] * (weight?[c] ?? 1) - xhat * dot)
                dweight?[c] += dout[base + c] * xhat
            }
        }
    }

    /// `out[r, c] = exp(scale · x[r, c] − max_c scale · x[r, c]) / Σ_c …` (scale > 0; 1 is plain softmax).
    @_specialize(where S == Float)
    static func softmaxForward<S: TensorScalar>(_ out: UnsafeMutablePointer<S>, _ x: UnsafePointer<S>,
                                                rows: Int, columns: Int, scale: S = 1) {
        if S.self == Float.self {
            return st_softmax_forward_f32(floats(out), floats(x), Int64(rows), Int64(columns), Float(scale))
        }
        for r in 0..<rows {
            let base = r * columns
            var m = -S.infinity
            for c in 0..<columns { m = Swift.max(m, scale * x[base + c]) }
            var sum: S = 0
            for c in 0..<columns { let e = S.exp(scale * x[base + c] - m); out[base + c] = e; sum += e }
            for c in 0..<columns { out[base + c] /= sum }
        }
    }

    @_specialize(where S == Float)
    static func softmaxBackward<S: TensorScalar>(_ dx: UnsafeMutablePointer<S>, y: UnsafePointer<S>, dy: UnsafePointer<S>,
                                                 rows: Int, columns: Int) {
        if S.self == Float.self {
            return st_softmax_backward_f32(floats(dx), floats(y), floats(dy), Int64(rows), Int64(columns), 1)
        }
        for r in 0..<rows {
            let base = r * columns
            var dot: S = 0
            for c in 0..<columns { dot += dy[base + c] * y[base + c] }
            for c in 0..<columns { dx[base + c] = y[base + c] * (dy[base + c] - dot) }
        }
    }

    @_specialize(where S == Float)
    static func logSoftmaxForward<S: TensorScalar>(_ out: UnsafeMutablePointer<S>, _ x: UnsafePointer<S>,
                                                   rows: Int, columns: Int) {
        if S.self == Float.self {
            return st_log_softmax_forward_f32(floats(out), floats(x), Int64(rows), Int64(columns))
        }
        var lse = [S](repeating: 0, count: rows)
        lse.withUnsafeMutableBufferPointer { reduce($0.baseAddress!, x, outer: rows, n: columns, inner: 1, .logSumExp) }
        for r in 0..<rows { for c in 0..<columns { out[r * columns + c] = x[r * columns + c] - lse[r] } }
    }

    @_specialize(where S == Float)
    static func logSoftmaxBackward<S: TensorScalar>(_ dx: UnsafeMutablePointer<S>, y: UnsafePointer<S>,
                                                    dy: UnsafePointer<S>, rows: Int, columns: Int) {
        if S.self == Float.self {
            return st_log_softmax_backward_f32(floats(dx), floats(y), floats(dy), Int64(rows), Int64(columns))
        }
        for r in 0..<rows {
            let base = r * columns
            var sum: S = 0
            for c in 0..<columns { sum += dy[base + c] }
            for c in 0..<columns { dx[base + c] = dy[base + c] - S.exp(y[base + c]) * sum }
        }
    }
}
