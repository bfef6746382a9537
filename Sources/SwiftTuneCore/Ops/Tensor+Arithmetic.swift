/// Differentiable elementwise arithmetic with NumPy broadcasting.
///
/// Derivatives (g = upstream gradient, each summed back over broadcast axes):
/// | op | ∂/∂a | ∂/∂b |
/// |---|---|---|
/// | a + b | g | g |
/// | a − b | g | −g |
/// | a · b | g·b | g·a |
/// | a / b | g/b | −g·a/b² |
extension Tensor where Scalar: TensorScalar {
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let out = elementwise(a, b, .add)
        return record("add", out, inputs: [a, b]) { g, needs in
            [needs[0] ? g.summed(toShape: a.shape) : nil, needs[1] ? g.summed(toShape: b.shape) : nil]
        }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let out = elementwise(a, b, .subtract)
        return record("subtract", out, inputs: [a, b]) { g, needs in
            [needs[0] ? g.summed(toShape: a.shape) : nil, needs[1] ? g.scaled(by: -1).summed(toShape: b.shape) : nil]
        }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let out = elementwise(a, b, .multiply)
        let (ca, cb) = (a.detached, b.detached)
        return record("multiply", out, inputs: [a, b]) { g, needs in
            [needs[0] ? elementwise(g, cb, .multiply).summed(toShape: a.shape) : nil,
             needs[1] ? elementwise(g, ca, .multiply).summed(toShape: b.shape) : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let out = elementwise(a, b, .divide)
        let (cb, cout) = (b.detached, out.detached)
        return record("divide", out, inputs: [a, b]) { g, needs in
            let gOverB = elementwise(g, cb, .divide)
            return [needs[0] ? gOverB.summed(toShape: a.shape) : nil,
                    needs[1] ? elementwise(gOverB, cout, .multiply).scaled(by: -1).summed(toShape: b.shape) : nil]
        }
    }

    public static prefix func - (a: Tensor) -> Tensor { a.scaled(by: -1) }

    public static func + (a: Tensor, s: Scalar) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func + (s: Scalar, a: Tensor) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func - (a: Tensor, s: Scalar) -> Tensor { a.affine(scale: 1, shift: -s) }
    public static func - (s: Scalar, a: Tensor) -> Tensor { a.affine(scale: -1, shift: s) }
    public static func * (a: Tensor, s: Scalar) -> Tensor { a.scaled(by: s) }
    public static func * (s: Scalar, a: Tensor) -> Tensor { a.scaled(by: s) }
    public static func / (a: Tensor, s: Scalar) -> Tensor { a.scaled(by: 1 / s) }
    public static func / (s: Scalar, a: Tensor) -> Tensor { a.reciprocal().scaled(by: s) }

    /// `scale · self`.
    @_specialize(where Scalar == Float)
    public func scaled(by scale: Scalar) -> Tensor { affine(scale: scale, shift: 0) }

    /// `scale · self + shift`, elementwise.
    @_specialize(where Scalar == Float)
    public func affine(scale: Scalar, shift: Scalar) -> Tensor {
        let input = self
        let out = Tensor(shape: shape) { out in
            Kernels.axpby(out.baseAddress!, input.storage.pointer, nil, alpha: scale, beta: 0, count: count)
            if shift != 0 { Kernels.binaryScalar(out.baseAddress!, out.baseAddress!, shift, count: count, .add) }
        }
        return Tensor.record("affine", out, inputs: [self]) { g, _ in [g.scaled(by: scale)] }
    }

    /// `self + other` without broadcasting or autograd: the accumulation used by backward.
    @_specialize(where Scalar == Float)
    func adding(_ other: Tensor) -> Tensor {
        precondition(shape == other.shape, "adding \(other.shape) to \(shape)")
        return Tensor.elementwise(detached, other.detached, .add)
    }

    /// Elementwise maximum (no gradient is defined at ties; the first argument receives it).
    @_specialize(where Scalar == Float)
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
        let out = elementwise(a, b, .maximum)
        let (ca, cb) = (a.detached, b.detached)
        return record("maximum", out, inputs: [a, b]) { g, needs in
            let takeA = Tensor.elementwise(ca, cb, .subtract).map { $0 >= 0 ? 1 : 0 }
            return [needs[0] ? (g.detached * takeA).summed(toShape: a.shape) : nil,
                    needs[1] ? (g.detached * (1 - takeA)).summed(toShape: b.shape) : nil]
        }
    }

    /// Applies a scalar function to every element (no autograd; for masks and tests).
    @_specialize(where Scalar == Float)
    public func map(_ transform: (Scalar) -> Scalar) -> Tensor {
        let input = storage.pointer
        return Tensor(shape: shape) { out in for i in 0..<out.count { out[i] = transform(input[i]) } }
    }
}
