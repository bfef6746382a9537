/// The reference-counted buffer behind a ``Tensor``. Tensors share it until one of them writes
/// (copy-on-write, checked with `isKnownUniquelyReferenced`).
///
/// Buffers are 64-byte aligned so SIMD kernels can use aligned loads on full cache lines.
@usableFromInline
final class TensorStorage<Scalar: TensorElement> {
    @usableFromInline let pointer: UnsafeMutablePointer<Scalar>
    @usableFromInline let count: Int
    private let release: (@Sendable (UnsafeMutableRawPointer) -> Void)?

    /// Allocates `count` uninitialised elements (the caller writes all of them).
    @usableFromInline
    init(uninitializedCount count: Int) {
        precondition(count >= 0, "negative element count \(count)")
        self.count = count
        let bytes = max(count, 1) * MemoryLayout<Scalar>.stride
        let raw = BufferCache.allocate(bytes: bytes)
        pointer = raw.bindMemory(to: Scalar.self, capacity: max(count, 1))
        release = nil
    }

    /// Wraps memory owned elsewhere (a memory-mapped file); `release` runs when the storage dies.
    init(borrowing pointer: UnsafeMutablePointer<Scalar>, count: Int,
         release: @escaping @Sendable (UnsafeMutableRawPointer) -> Void) {
        self.pointer = pointer
        self.count = count
        self.release = release
    }

    @usableFromInline
    convenience init(repeating value: Scalar, count: Int) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    @usableFromInline
    func copy() -> TensorStorage<Scalar> {
        let other = TensorStorage(uninitializedCount: count)
        other.pointer.initialize(from: pointer, count: count)
        return other
    }

    @usableFromInline
    var buffer: UnsafeMutableBufferPointer<Scalar> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    deinit {
        if let release {
            release(UnsafeMutableRawPointer(pointer))
        } else {
            BufferCache.release(UnsafeMutableRawPointer(pointer), bytes: max(count, 1) * MemoryLayout<Scalar>.stride)
        }
    }
}
