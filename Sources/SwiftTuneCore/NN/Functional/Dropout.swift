/// Inverted dropout with a seeded, regenerable mask: element k is kept when `u(seed, offset + k) ≥ p` and then
/// scaled by `1 / (1 − p)`; otherwise it is zero.
///
/// - Parameters:
///   - x: any shape.
///   - probability: the drop probability p in [0, 1).
///   - generator: reserves `x.count` counters, so consecutive dropouts use disjoint masks.
/// - Returns: the same shape.
///
/// The mask is not stored: backward applies the same `(seed, offset)` to the gradient, and gradient
/// checkpointing recomputes the same mask.
@_specialize(where Scalar == Float)
public func dropout<Scalar: TensorScalar>(_ x: Tensor<Scalar>, probability: Double,
                                           generator: inout RandomGenerator) -> Tensor<Scalar> {
    precondition(probability >= 0 && probability < 1, "dropout probability \(probability) outside [0, 1)")
    if probability == 0 { return x }
    let seed = generator.seed
    let offset = generator.reserve(x.count)
    let cx = x.detached
    let out = Tensor<Scalar>(shape: x.shape) { out in
        Kernels.dropout(out.baseAddress!, cx.storage.pointer, count: out.count, probability: probability, seed: seed, offset: offset)
    }
    return Tensor.record("dropout", out, inputs: [x]) { g, _ in
        [Tensor(shape: g.shape) { dx in
            Kernels.dropout(dx.baseAddress!, g.storage.pointer, count: dx.count, probability: probability, seed: seed, offset: offset)
        }]
    }
}
