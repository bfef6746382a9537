extension Tensor where Scalar: TensorScalar {
    /// A tensor of `shape` filled with `value`.
    @_specialize(where Scalar == Float)
    public static func full(_ shape: [Int], _ value: Scalar) -> Tensor {
        Shape.validate(shape)
        return Tensor(shape: shape, storage: TensorStorage(repeating: value, count: Shape.count(shape)))
    }

    /// A tensor of zeros.
    @_specialize(where Scalar == Float)
    public static func zeros(_ shape: [Int]) -> Tensor { full(shape, 0) }

    /// A tensor of ones.
    @_specialize(where Scalar == Float)
    public static func ones(_ shape: [Int]) -> Tensor { full(shape, 1) }

    /// Zeros shaped like `other`.
    @_specialize(where Scalar == Float)
    public static func zeros(like other: Tensor) -> Tensor { full(other.shape, 0) }

    /// `[start, start + step, …]` up to but excluding `end`, as a 1-D tensor (like `torch.arange`).
    @_specialize(where Scalar == Float)
    public static func arange(_ start: Scalar = 0, _ end: Scalar, step: Scalar = 1) -> Tensor {
        precondition(step != 0, "arange with step 0")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor(shape: [n]) { out in
            for i in 0..<n { out[i] = start + Scalar(i) * step }
        }
    }

    /// Values from N(mean, std²) by Box–Muller on counters `(2k, 2k+1)` after the generator's offset.
    /// Reproducible on every machine; `Float` fills run in CKernels.
    @_specialize(where Scalar == Float)
    public static func randomNormal(_ shape: [Int], mean: Scalar = 0, standardDeviation: Scalar = 1,
                                    generator: inout RandomGenerator) -> Tensor {
        Shape.validate(shape)
        let n = Shape.count(shape)
        let offset = generator.reserve(2 * n)
        return Tensor(shape: shape) { out in
            Kernels.randomNormal(out, seed: generator.seed, offset: offset,
                                 mean: mean, standardDeviation: standardDeviation)
        }
    }

    /// Values from U[low, high) (24 random bits each).
    @_specialize(where Scalar == Float)
    public static func randomUniform(_ shape: [Int], low: Scalar = 0, high: Scalar = 1,
                                     generator: inout RandomGenerator) -> Tensor {
        Shape.validate(shape)
        let n = Shape.count(shape)
        let offset = generator.reserve(n)
        return Tensor(shape: shape) { out in
            Kernels.randomUniform(out, seed: generator.seed, offset: offset, low: low, high: high)
        }
    }
}
