/// Shape operations. Reshape shares storage; the others copy (views with strides are not worth their
/// complexity here: BLAS takes transposes as flags, and kernels want contiguous rows).
extension Tensor where Scalar: TensorScalar {
    /// The same elements with a new shape (one extent may be `-1`). ∂: reshape back.
    @_specialize(where Scalar == Float)
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let out = reshapedStorage(newShape)
        let old = shape
        return Tensor.record("reshape", out, inputs: [self]) { g, _ in [g.reshapedStorage(old)] }
    }

    /// Repeats size-1 axes (and adds leading axes) to reach `target`. ∂: sum back over the broadcast axes.
    @_specialize(where Scalar == Float)
    public func broadcast(to target: [Int]) -> Tensor {
        if target == shape { return self }
        precondition(Shape.broadcast(shape, target) == target, "cannot broadcast \(shape) to \(target)")
        let out = Tensor.elementwise(Tensor.zeros(target), detached, .add)
        let old = shape
        return Tensor.record("broadcast", out, inputs: [self]) { g, _ in [g.summed(toShape: old)] }
    }

    /// Reorders axes: result axis i is input axis `permutation[i]`. ∂: the inverse permutation.
    @_specialize(where Scalar == Float)
    public func permuted(_ permutation: [Int]) -> Tensor {
        precondition(permutation.sorted() == Array(0..<rank), "permutation \(permutation) for rank \(rank)")
        let out = permutedRaw(permutation)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, p) in permutation.enumerated() { inverse[p] = i }
        return Tensor.record("permute", out, inputs: [self]) { g, _ in [g.permutedRaw(inverse)] }
    }

    /// Swaps two axes (default: the last two).
    @_specialize(where Scalar == Float)
    public func transposed(_ axis0: Int = -2, _ axis1: Int = -1) -> Tensor {
        var p = Array(0..<rank)
        p.swapAt(Shape.axis(axis0, rank: rank), Shape.axis(axis1, rank: rank))
        return permuted(p)
    }

    @_specialize(where Scalar == Float)
    func permutedRaw(_ permutation: [Int]) -> Tensor {
        let newShape = permutation.map { shape[$0] }
        let inStrides = Shape.strides(shape)
        let strides = permutation.map { inStrides[$0] }
        let input = storage.pointer
        let r = rank
        return Tensor(shape: newShape) { out in
            guard out.count > 0 else { return }
            if r == 0 { out[0] = input[0]; return }
            // Innermost axis in a tight loop; odometer over the rest.
            let innerN = newShape[r - 1], innerS = strides[r - 1]
            var index = [Int](repeating: 0, count: r)
            var offset = 0
            var o = 0
            while o < out.count {
                for j in 0..<innerN { out[o + j] = input[offset + j * innerS] }
                o += innerN
                var axis = r - 2
                while axis >= 0 {
                    index[axis] += 1; offset += strides[axis]
                    if index[axis] < newShape[axis] { break }
                    offset -= strides[axis] * newShape[axis]; index[axis] = 0
                    axis -= 1
                }
            }
        }
    }

    /// Elements `range` along `axis`. ∂: the gradient placed back into zeros.
    @_specialize(where Scalar == Float)
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let v = reductionView(axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= v.n, "slice \(range) of axis \(axis) in \(shape)")
        var newShape = shape
        newShape[v.axis] = range.count
        let input = detached
        let out = Tensor(shape: newShape) { out in
            let width = range.count * v.inner
            for o in 0..<v.outer {
                (out.baseAddress! + o * width).initialize(from: input.storage.pointer + (o * v.n + range.lowerBound) * v.inner,
                                                          count: width)
            }
        }
        let old = shape
        return Tensor.record("slice", out, inputs: [self]) { g, _ in
            [Tensor(shape: old) { dx in
                dx.initialize(repeating: 0)
                let width = range.count * v.inner
                for o in 0..<v.outer {
                    (dx.baseAddress! + (o * v.n + range.lowerBound) * v.inner)
                        .update(from: g.storage.pointer + o * width, count: width)
                }
            }]
        }
    }

    /// Joins tensors along `axis`; all other extents must agree. ∂: slices of the gradient.
    @_specialize(where Scalar == Float)
    public static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate of no tensors")
        let first = tensors[0]
        let a = Shape.axis(axis, rank: first.rank)
        for t in tensors {
            var s1 = t.shape, s0 = first.shape
            precondition(s1.count == s0.count, "concatenate: shapes \(s0) and \(s1)")
            s1[a] = 0; s0[a] = 0
            precondition(s1 == s0, "concatenate along \(axis): shapes \(first.shape) and \(t.shape)")
        }
        let sizes = tensors.map { $0.shape[a] }
        var newShape = first.shape
        newShape[a] = sizes.reduce(0, +)
        let outer = first.shape[..<a].reduce(1, *)
        let inner = first.shape[(a + 1)...].reduce(1, *)
        let total = newShape[a]
        let inputs = tensors.map(\.detached)
        let out = Tensor(shape: newShape) { out in
            var start = 0
            for (t, n) in zip(inputs, sizes) {
                for o in 0..<outer {
                    (out.baseAddress! + (o * total + start) * inner).initialize(from: t.storage.pointer + o * n * inner,
                                                                               count: n * inner)
                }
                start += n
            }
        }
        return record("concatenate", out, inputs: tensors) { g, needs in
            var start = 0
            return zip(sizes, needs).map { n, need in
                defer { start += n }
                return need ? g.slice(axis: a, start..<(start + n)) : nil
            }
        }
    }

    /// Splits along `axis` into pieces of the given sizes (which must add up to the extent).
    @_specialize(where Scalar == Float)
    public func split(axis: Int, sizes: [Int]) -> [Tensor] {
        let a = Shape.axis(axis, rank: rank)
        precondition(sizes.reduce(0, +) == shape[a], "split sizes \(sizes) for extent \(shape[a]) of \(shape)")
        var start = 0
        return sizes.map { n in
            defer { start += n }
            return slice(axis: a, start..<(start + n))
        }
    }

    /// Rows `indices` along `axis` (PyTorch's `index_select`). ∂: scatter-add of the gradient.
    @_specialize(where Scalar == Float)
    public func indexSelect(axis: Int, indices: [Int]) -> Tensor {
        let v = reductionView(axis)
        for i in indices { precondition(i >= 0 && i < v.n, "index \(i) out of range for axis \(axis) of \(shape)") }
        var newShape = shape
        newShape[v.axis] = indices.count
        let input = detached
        let out = Tensor(shape: newShape) { out in
            for o in 0..<v.outer {
                for (j, i) in indices.enumerated() {
                    (out.baseAddress! + (o * indices.count + j) * v.inner)
                        .initialize(from: input.storage.pointer + (o * v.n + i) * v.inner, count: v.inner)
                }
            }
        }
        let old = shape
        return Tensor.record("indexSelect", out, inputs: [self]) { g, _ in
            // ∂self: zeros with g's rows added at `indices`, written into one fresh buffer (no zeros-then-copy).
            [Tensor(shape: old) { dst in
                dst.initialize(repeating: 0)
                Tensor.scatterAdd(into: dst.baseAddress!, view: v, indices: indices, values: g.storage.pointer)
            }]
        }
    }

    /// A copy with `values` added at `indices` along `axis` (repeated indices accumulate), like PyTorch's
    /// `index_add`. `values` has this tensor's shape with `indices.count` on `axis`. ∂self = g, ∂values = g[indices].
    @_specialize(where Scalar == Float)
    public func scatterAdding(axis: Int, indices: [Int], values: Tensor) -> Tensor {
        let v = reductionView(axis)
        var expected = shape
        expected[v.axis] = indices.count
        precondition(values.shape == expected, "scatterAdding values \(values.shape), expected \(expected)")
        for i in indices { precondition(i >= 0 && i < v.n, "index \(i) out of range for axis \(axis) of \(shape)") }
        var out = detached
        let src = values.detached
        out.withUnsafeMutableScalars { dst in
            Tensor.scatterAdd(into: dst.baseAddress!, view: v, indices: indices, values: src.storage.pointer)
        }
        return Tensor.record("scatterAdd", out, inputs: [self, values]) { g, needs in
            [needs[0] ? g : nil, needs[1] ? g.indexSelect(axis: v.axis, indices: indices) : nil]
        }
    }

    /// dst[o, indices[j], :] += values[o, j, :] for every outer index o and j (repeated indices accumulate in order).
    static func scatterAdd(into dst: UnsafeMutablePointer<Scalar>, view v: (outer: Int, n: Int, inner: Int, axis: Int),
                           indices: [Int], values: UnsafePointer<Scalar>) {
        for o in 0..<v.outer {
            for (j, i) in indices.enumerated() {
                let d = dst + (o * v.n + i) * v.inner
                Kernels.binary(d, d, values + (o * indices.count + j) * v.inner, count: v.inner, .add)
            }
        }
    }

    /// Picks `self` where `condition` is true and `other` elsewhere (shapes broadcast). ∂: the gradient masked.
    @_specialize(where Scalar == Float)
    public func replacing(with other: Tensor, where condition: Tensor<Bool8>) -> Tensor {
        let mask = Tensor(shape: condition.shape) { out in
            condition.withUnsafeScalars { c in for i in 0..<out.count { out[i] = c[i].value ? 1 : 0 } }
        }
        // self·(1−m) + other·m keeps broadcasting and autograd exact for finite inputs.
        return self * (1 - mask) + other * mask
    }

    /// Sets the elements where `condition` holds to `value` (e.g. −∞ for attention masks). ∂: zero there.
    @_specialize(where Scalar == Float)
    public func masked(where condition: Tensor<Bool8>, with value: Scalar) -> Tensor {
        precondition(Shape.broadcast(shape, condition.shape) == shape, "mask \(condition.shape) for \(shape)")
        let full = condition.shape == shape ? condition : condition.broadcastRaw(to: shape)
        let input = detached
        let out = Tensor(shape: shape) { out in
            full.withUnsafeScalars { c in
                for i in 0..<out.count { out[i] = c[i].value ? value : input.storage.pointer[i] }
            }
        }
        return Tensor.record("masked", out, inputs: [self]) { g, _ in
            [Tensor(shape: g.shape) { dx in
                full.withUnsafeScalars { c in for i in 0..<dx.count { dx[i] = c[i].value ? 0 : g.storage.pointer[i] } }
            }]
        }
    }
}

/// A one-byte boolean tensor element (masks).
public struct Bool8: TensorElement, Hashable {
    public var value: Bool
    public init(_ value: Bool) { self.value = value }
    public init(_ value: Float) { self.value = value != 0 }
    public static var dtypeName: String { "BOOL" }
    public static var byteSize: Int { 1 }
    public var floatValue: Float { value ? 1 : 0 }
}

extension Tensor where Scalar == Bool8 {
    /// A mask from booleans.
    public init(shape: [Int], bools: [Bool]) { self.init(shape: shape, scalars: bools.map(Bool8.init)) }

    func broadcastRaw(to target: [Int]) -> Tensor {
        precondition(Shape.broadcast(shape, target) == target, "cannot broadcast \(shape) to \(target)")
        let rank = target.count
        let strides = Tensor<Float>.broadcastStrides(shape, rank: rank, shape: target)
        let input = storage.pointer
        return Tensor(shape: target) { out in
            var index = [Int](repeating: 0, count: rank)
            var offset = 0
            for i in 0..<out.count {
                out[i] = input[offset]
                var axis = rank - 1
                while axis >= 0 {
                    index[axis] += 1; offset += strides[axis]
                    if index[axis] < target[axis] { break }
                    offset -= strides[axis] * target[axis]; index[axis] = 0
                    axis -= 1
                }
            }
        }
    }
}
