import CKernels

/// Binary elementwise operations (`st_binary_op`).
enum BinaryOp: Int32 {
    case add = 0, subtract = 1, multiply = 2, divide = 3, maximum = 4, minimum = 5

    @inline(__always)
    @_specialize(where S == Float)
    func apply<S: TensorScalar>(_ a: S, _ b: S) -> S {
        switch self {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        case .maximum: return a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
        case .minimum: return a.isNaN || b.isNaN ? .nan : Swift.min(a, b)
        }
    }

    var c: st_binary_op { st_binary_op(rawValue: UInt32(rawValue)) }
}

/// Unary elementwise operations (`st_unary_op`) with their derivatives.
enum UnaryOp: Int32 {
    case exp = 0, log = 1, sqrt = 2, rsqrt = 3, tanh = 4, sigmoid = 5, silu = 6, gelu = 7
    case negate = 8, abs = 9, square = 10, reciprocal = 11

    var c: st_unary_op { st_unary_op(rawValue: UInt32(rawValue)) }

    @inline(__always)
    @_specialize(where S == Float)
    func apply<S: TensorScalar>(_ x: S) -> S {
        switch self {
        case .exp: return S.exp(x)
        case .log: return S.log(x)
        case .sqrt: return x.squareRoot()
        case .rsqrt: return 1 / x.squareRoot()
        case .tanh: return S.tanh(x)
        case .sigmoid: return 1 / (1 + S.exp(-x))
        case .silu: return x / (1 + S.exp(-x))
        case .gelu: return x * (1 + S.erf(x / S(2).squareRoot())) / 2
        case .negate: return -x
        case .abs: return Swift.abs(x)
        case .square: return x * x
        case .reciprocal: return 1 / x
        }
    }

    /// dy · f'(x), using y = f(x) where that is cheaper.
    @inline(__always)
    @_specialize(where S == Float)
    func derivative<S: TensorScalar>(x: S, y: S, dy: S) -> S {
        switch self {
        case .exp: return dy * y
        case .log: return dy / x
        case .sqrt: return dy / (2 * y)
        case .rsqrt: return -dy * y * y * y / 2
        case .tanh: return dy * (1 - y * y)
        case .sigmoid: return dy * y * (1 - y)
        case .silu:
            let s = 1 / (1 + S.exp(-x))
            return dy * s * (1 + x * (1 - s))
        case .gelu:
            let cdf = (1 + S.erf(x / S(2).squareRoot())) / 2
            let pdf = S.exp(-x * x / 2) / S(2 * Double.pi).squareRoot()
            return dy * (cdf + x * pdf)
        case .negate: return -dy
        case .abs: return x > 0 ? dy : (x < 0 ? -dy : 0)
        case .square: return 2 * x * dy
        case .reciprocal: return -dy * y * y
        }
    }
}

extension Kernels {
    @_specialize(where S == Float)
    static func binary<S: TensorScalar>(_ out: UnsafeMutablePointer<S>, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>,
                                        count n: Int, _ op: BinaryOp) {
        if S.self == Float.self { return st_binary_f32(floats(out), floats(a), floats(b), Int64(n), op.c) }
        for i in 0..<n { out[i] = op.apply(a[i], b[i]) }
    }

    /// out[r, c] = a[r, c] op b[c].
    @_specialize(where S == Float)
    static func binaryRow<S: TensorScalar>(_ out: UnsafeMutablePointer<S>, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>,
                                           rows: Int, columns: Int, _ op: BinaryOp) {
        if S.self == Float.self {
            return st_binary_row_f32(floats(out), floats(a), floats(b), Int64(rows), Int64(columns), op.c)
        }
        for r in 0..<rows { for c in 0..<columns { out[r * columns + c] = op.apply(a[r * columns + c], b[c]) } }
    }

    @_specialize(where S == Float)
    static func binaryScalar<S: TensorScalar>(_ out: UnsafeMutablePointer<S>, _ a: UnsafePointer<S>, _ s: S,
                                              count n: Int, _ op: BinaryOp) {
        if S.self == Float.self {
            return st_binary_scalar_f32(floats(out), floats(a), s as! Float, Int64(n), op.c)
        }
        for i in 0..<n { out[i] = op.apply(a[i], s) }
    }

    /// out = alpha·x + beta·y.
    @_specialize(where S == Float)
    static func axpby<S: TensorScalar>(_ out: UnsafeMutablePointer<S>, _ x: UnsafePointer<S>, _ y: UnsafePointer<S>?,
                                       alpha: S, beta: S, count n: Int) {
        if S.self == Float.self {
            return st_axpby_f32(floats(out), floats(x), floats(y), alpha as! Float, beta as! Float, Int64(n))
        }
        if let y, beta != 0 { for i in 0..<n { out[i] = alpha * x[i] + beta * y[i] } }
        else { for i in 0..<n { out[i] = alpha * x[i] } }
    }

    @_specialize(where S == Float)
    static func unary<S: TensorScalar>(_ out: UnsafeMutablePointer<S>, _ x: UnsafePointer<S>, count n: Int, _ op: UnaryOp) {
        if S.self == Float.self { return st_unary_f32(floats(out), floats(x), Int64(n), op.c) }
        for i in 0..<n { out[i] = op.apply(x[i]) }
    }

    @_specialize(where S == Float)
    static func unaryBackward<S: TensorScalar>(_ dx: UnsafeMutablePointer<S>, x: UnsafePointer<S>, y: UnsafePointer<S>,
                                               dy: UnsafePointer<S>, count n: Int, _ op: UnaryOp) {
        if S.self == Float.self {
            return st_unary_backward_f32(floats(dx), floats(x), floats(y), floats(dy), Int64(n), op.c)
        }
        for i in 0..<n { dx[i] = op.derivative(x: x[i], y: y[i], dy: dy[i]) }
    }

    @_specialize(where S == Float)
    static func swigluForward<S: TensorScalar>(_ out: UnsafeMutablePointer<S>, gate: UnsafePointer<S>, up: UnsafePointer<S>,
                                               count n: Int) {
        if S.self == Float.self { return st_swiglu_forward_f32(floats(out), floats(gate), floats(up), Int64(n)) }
        for i in 0..<n { out[i] = UnaryOp.silu.apply(gate[i]) * up[i] }
    }

    @_specialize(where S == Float)
    static func swigluBackward<S: TensorScalar>(dgate: UnsafeMutablePointer<S>?, dup: UnsafeMutablePointer<S>?,
                                                dout: UnsafePointer<S>, gate: UnsafePointer<S>, up: UnsafePointer<S>,
                                                count n: Int) {
        if S.self == Float.self {
            return st_swiglu_backward_f32(floats(dgate), floats(dup), floats(dout), floats(gate), floats(up), Int64(n))
        }
        for i in 0..<n {
            let g = gate[i]
            dgate?[i] = UnaryOp.silu.derivative(x: g, y: 0, dy: dout[i] * up[i])
            dup?[i] = dout[i] * UnaryOp.silu.apply(g)
        }
    }
}
