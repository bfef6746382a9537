/// An n-dimensional array whose element type is part of its Swift type.
///
/// Storage is row-major and contiguous, with value semantics: copies share one buffer until one of them is
/// written (copy-on-write). Shapes are `[Int]`; a scalar tensor has shape `[]` and one element.
///
/// Floating-point tensors (`Tensor<Float>`, `Tensor<Double>`) take part in reverse-mode autograd: a tensor made
/// with ``requiringGradient()`` is a leaf whose gradient accumulates in ``grad``, and every operation on tensors
/// that require gradients records how to differentiate itself (see ``backward(_:)``).
///
/// ```swift
/// var rng = RandomGenerator(seed: 0)
/// let w = Tensor<Float>.randomNormal([4, 3], generator: &rng).requiringGradient()
/// let x = Tensor<Float>.ones([2, 3])
/// let loss = matmul(x, w, transposeB: true).square().sum()
/// loss.backward()
/// print(w.grad!.shape)   // [4, 3]
/// ```
public struct Tensor<Scalar: TensorElement> {
    /// The extent of each axis, outermost first.
    public private(set) var shape: [Int]
    @usableFromInline var storage: TensorStorage<Scalar>
    /// The autograd record of this value; `nil` when it does not require gradients.
    var node: GradNode<Scalar>?

    init(shape: [Int], storage: TensorStorage<Scalar>, node: GradNode<Scalar>? = nil) {
        precondition(storage.count == Shape.count(shape), "storage of \(storage.count) elements for shape \(shape)")
        self.shape = shape
        self.storage = storage
        self.node = node
    }

    /// A tensor of the given shape holding `scalars` in row-major order.
    /// - Precondition: `scalars.count` equals the product of `shape`.
    public init(shape: [Int], scalars: [Scalar]) {
        Shape.validate(shape)
        precondition(scalars.count == Shape.count(shape),
                     "\(scalars.count) scalars do not fill shape \(shape) (\(Shape.count(shape)) elements)")
        let storage = TensorStorage<Scalar>(uninitializedCount: scalars.count)
        scalars.withUnsafeBufferPointer { storage.pointer.initialize(from: $0.baseAddress!, count: $0.count) }
        self.init(shape: shape, storage: storage)
    }

    /// A one-dimensional tensor of `scalars`.
    public init(_ scalars: [Scalar]) { self.init(shape: [scalars.count], scalars: scalars) }

    /// A scalar (rank-0) tensor.
    public init(scalar: Scalar) { self.init(shape: [], scalars: [scalar]) }

    /// A tensor of `shape` whose elements are written by `body` (it must initialise every element).
    public init(shape: [Int], unsafeUninitializedScalars body: (UnsafeMutableBufferPointer<Scalar>) throws -> Void) rethrows {
        Shape.validate(shape)
        let storage = TensorStorage<Scalar>(uninitializedCount: Shape.count(shape))
        try body(storage.buffer)
        self.init(shape: shape, storage: storage)
    }

    /// Number of axes.
    public var rank: Int { shape.count }
    /// Number of elements.
    public var count: Int { storage.count }
    /// The elements in row-major order.
    public var scalars: [Scalar] { Array(storage.buffer) }
    /// The only element of a one-element tensor.
    public var item: Scalar {
        precondition(count == 1, "item of a tensor with shape \(shape)")
        return storage.pointer[0]
    }

    /// Reads the elements without copying.
    @inlinable
    public func withUnsafeScalars<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(storage.buffer))
    }

    /// Writes the elements in place (copying first if the buffer is shared). The autograd record is kept, so an
    /// optimizer can update a leaf parameter without detaching it.
    @inlinable
    public mutating func withUnsafeMutableScalars<R>(_ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try body(storage.buffer)
    }

    /// Element at a multi-dimensional index (for tests and small tensors; not a fast path).
    public subscript(index: Int...) -> Scalar {
        get { storage.pointer[Shape.offset(of: index, in: shape)] }
        set {
            let offset = Shape.offset(of: index, in: shape)
            withUnsafeMutableScalars { $0[offset] = newValue }
        }
    }

    /// Same elements, new shape. One axis may be `-1` (inferred). Shares storage; keeps autograd for `TensorScalar`.
    func reshapedStorage(_ newShape: [Int]) -> Tensor {
        Tensor(shape: Shape.resolve(newShape, count: count, from: shape), storage: storage)
    }

    /// Converts each element to another element type (`Float16`/``BFloat16`` ↔ `Float` are exact when widening).
    /// The result does not require gradients.
    public func converted<Other: TensorElement>(to type: Other.Type = Other.self) -> Tensor<Other> {
        if Scalar.self == Other.self { return Tensor<Other>(shape: shape, storage: storage as! TensorStorage<Other>) }
        return Tensor<Other>(shape: shape) { out in
            let input = storage.pointer
            if Scalar.self == Double.self, Other.self == Float.self {
                input.withMemoryRebound(to: Double.self, capacity: count) { src in
                    out.withMemoryRebound(to: Float.self) { dst in for i in 0..<count { dst[i] = Float(src[i]) } }
                }
            } else if Scalar.self == Float.self, Other.self == Double.self {
                input.withMemoryRebound(to: Float.self, capacity: count) { src in
                    out.withMemoryRebound(to: Double.self) { dst in for i in 0..<count { dst[i] = Double(src[i]) } }
                }
            } else {
                for i in 0..<count { out[i] = Other(input[i].floatValue) }
            }
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = storage.buffer.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor<\(Scalar.self)>(shape: \(shape), [\(preview)\(count > 8 ? ", …" : "")])"
    }
}

extension Tensor: Equatable where Scalar: Equatable {
    /// Same shape and same elements (autograd state is ignored).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.storage.buffer.elementsEqual(rhs.storage.buffer)
    }
}
