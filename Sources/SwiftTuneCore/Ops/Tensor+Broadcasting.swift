extension Tensor where Scalar: TensorScalar {
    /// Applies `op` elementwise with broadcasting; no autograd (the differentiable operators build on this).
    @_specialize(where Scalar == Float)
    static func elementwise(_ a: Tensor, _ b: Tensor, _ op: BinaryOp) -> Tensor {
        if a.shape == b.shape {
            return Tensor(shape: a.shape) { out in
                Kernels.binary(out.baseAddress!, a.storage.pointer, b.storage.pointer, count: a.count, op)
            }
        }
        guard let shape = Shape.broadcast(a.shape, b.shape) else {
            preconditionFailure("\(op): shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        if b.count == 1, shape == a.shape {
            return Tensor(shape: shape) { out in
                Kernels.binaryScalar(out.baseAddress!, a.storage.pointer, b.storage.pointer[0], count: a.count, op)
            }
        }
        if shape == a.shape, isTrailingBroadcast(b.shape, of: a.shape), b.count > 0 {
            return Tensor(shape: shape) { out in
                Kernels.binaryRow(out.baseAddress!, a.storage.pointer, b.storage.pointer,
                                  rows: a.count / b.count, columns: b.count, op)
            }
        }
        // General case: walk the output with one running offset per input (stride 0 on broadcast axes).
        let rank = shape.count
        let sa = broadcastStrides(a.shape, rank: rank, shape: shape)
        let sb = broadcastStrides(b.shape, rank: rank, shape: shape)
        return Tensor(shape: shape) { out in
            let pa = a.storage.pointer, pb = b.storage.pointer
            var index = [Int](repeating: 0, count: rank)
            var oa = 0, ob = 0
            for i in 0..<out.count {
                out[i] = op.apply(pa[oa], pb[ob])
                var axis = rank - 1
                while axis >= 0 {
                    index[axis] += 1; oa += sa[axis]; ob += sb[axis]
                    if index[axis] < shape[axis] { break }
                    oa -= sa[axis] * shape[axis]; ob -= sb[axis] * shape[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
    }

    /// `true` when `small` (without leading 1s) equals the trailing axes of `big`.
    @_specialize(where Scalar == Float)
    static func isTrailingBroadcast(_ small: [Int], of big: [Int]) -> Bool {
        let trimmed = Array(small.drop(while: { $0 == 1 }))
        return trimmed.count <= big.count && Array(big.suffix(trimmed.count)) == trimmed
    }

    @_specialize(where Scalar == Float)
    static func broadcastStrides(_ shape: [Int], rank: Int, shape out: [Int]) -> [Int] {
        let padded = [Int](repeating: 1, count: rank - shape.count) + shape
        let strides = Shape.strides(padded)
        return (0..<rank).map { padded[$0] == 1 && out[$0] != 1 ? 0 : strides[$0] }
    }

    /// Sums a broadcast gradient back to `shape` (the inverse of broadcasting, as in every autograd system).
    @_specialize(where Scalar == Float)
    func summed(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        precondition(Shape.broadcast(shape, target) == shape, "cannot sum \(shape) to \(target)")
        let detachedSelf = detached
        if Tensor.isTrailingBroadcast(target, of: shape), Shape.count(target) > 0 {
            let inner = Shape.count(target)
            let summed = Tensor(shape: target) { out in
                Kernels.reduce(out.baseAddress!, detachedSelf.storage.pointer, outer: 1, n: count / inner, inner: inner, .sum)
            }
            return summed
        }
        let padded = [Int](repeating: 1, count: shape.count - target.count) + target
        var result = detachedSelf
        for axis in 0..<shape.count where padded[axis] == 1 && shape[axis] != 1 {
            result = result.reduced(axis: axis, .sum, keepingDimension: true)
        }
        return result.reshapedStorage(target)
    }
}
