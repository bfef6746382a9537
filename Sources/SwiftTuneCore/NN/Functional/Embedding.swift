/// Embedding lookup: row `ids[i]` of `table` for each id.
///
/// - Parameters:
///   - table: `[V, C]`.
///   - ids: token ids in `0..<V`.
///   - shape: the layout of `ids` (default `[ids.count]`).
/// - Returns: `shape + [C]`.
///
/// Backward scatter-adds the output gradient into the rows of a zero `[V, C]` gradient (repeated ids accumulate).
/// A frozen table (LoRA) gets no gradient at all.
@_specialize(where Scalar == Float)
public func embedding<Scalar: TensorScalar>(_ table: Tensor<Scalar>, ids: [Int], shape: [Int]? = nil) -> Tensor<Scalar> {
    precondition(table.rank == 2, "embedding table must be [V, C]; got \(table.shape)")
    let layout = shape ?? [ids.count]
    precondition(Shape.count(layout) == ids.count, "embedding: \(ids.count) ids for layout \(layout)")
    let rows = table.indexSelect(axis: 0, indices: ids)
    return rows.reshaped(layout + [table.shape[1]])
}
