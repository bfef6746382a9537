import CKernels

/// Reductions over the middle axis of an `[outer, n, inner]` view (`st_reduce_op`).
enum ReduceOp: Int32 {
    case sum = 0, max = 1, logSumExp = 2
    var c: st_reduce_op { st_reduce_op(rawValue: UInt32(rawValue)) }
}

extension Kernels {
    @_specialize(where S == Float)
    static func reduce<S: TensorScalar>(_ out: UnsafeMutablePointer<S>, _ x: UnsafePointer<S>,
                                        outer: Int, n: Int, inner: Int, _ op: ReduceOp) {
        if S.self == Float.self {
            return st_reduce_f32(floats(out), floats(x), Int64(outer), Int64(n), Int64(inner), op.c)
        }
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * n * inner + i
                switch op {
                case .sum:
                    var acc: S = 0
                    for k in 0..<n { acc += x[base + k * inner] }
                    out[o * inner + i] = acc
                case .max:
                    var m = -S.infinity
                    for k in 0..<n { let v = x[base + k * inner]; if v > m || v.isNaN { m = v } }
                    out[o * inner + i] = m
                case .logSumExp:
                    var m = -S.infinity
                    for k in 0..<n { m = Swift.max(m, x[base + k * inner]) }
                    if m == -S.infinity { out[o * inner + i] = m; continue }
                    var acc: S = 0
                    for k in 0..<n { acc += S.exp(x[base + k * inner] - m) }
                    out[o * inner + i] = m + S.log(acc)
                }
            }
        }
    }

    @_specialize(where S == Float)
    static func argmax<S: TensorScalar>(_ out: UnsafeMutablePointer<Int64>, _ x: UnsafePointer<S>,
                                        outer: Int, n: Int, inner: Int) {
        if S.self == Float.self { return st_argmax_f32(out, floats(x), Int64(outer), Int64(n), Int64(inner)) }
        for o in 0..<outer {
            for i in 0..<inner {
                var best = 0
                for k in 1..<Swift.max(n, 1) where x[(o * n + k) * inner + i] > x[(o * n + best) * inner + i] { best = k }
                out[o * inner + i] = Int64(best)
            }
        }
    }
}
