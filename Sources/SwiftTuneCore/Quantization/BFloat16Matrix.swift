/// A frozen matrix `W` `[rows, columns]` stored in bfloat16 and used in float32 arithmetic: half the memory of a
/// float32 weight, for tables that only feed products — the (tied) embedding and output projection of a QLoRA
/// model, which bitsandbytes' recipe keeps in bf16 next to the 4-bit projections.
///
/// Widening bf16 → float32 is exact, so every product computes with exactly the stored values:
///
///     rows(ids)            = W[ids, :]                       [count, columns]
///     productTransposed(x) = x · Wᵀ        x [n, columns] →  [n, rows]
///     product(dy)          = dy · W        dy [n, rows]   →  [n, columns]
///
/// Products with more than four rows widen `W` one panel of ``panelRows`` rows at a time into a float32 scratch
/// buffer (4.7 MB at 576 columns) and run sgemm against it, so the float32 matrix never exists whole; up to four
/// rows (decode) stream the bf16 rows through `st_matvec_bf16_f32`. Nothing here records gradients: the matrix is
/// frozen, and callers that differentiate through a product with it write the backward themselves.
public final class BFloat16Matrix: @unchecked Sendable {
    /// The stored values, `[rows, columns]`.
    public let storage: Tensor<BFloat16>
    /// Rows of `W` widened per sgemm call.
    public static let panelRows = 2048

    public var rows: Int { storage.shape[0] }
    public var columns: Int { storage.shape[1] }
    public var shape: [Int] { storage.shape }

    /// Wraps stored bf16 values.
    /// - Precondition: `storage` is `[rows, columns]`.
    public init(_ storage: Tensor<BFloat16>) {
        precondition(storage.rank == 2, "BFloat16Matrix: \(storage.shape) is not a matrix")
        self.storage = storage
    }

    /// Rounds `dense` to bf16 (nearest, ties to even — PyTorch's `.to(torch.bfloat16)`).
    public convenience init(rounding dense: Tensor<Float>) {
        self.init(dense.detached.converted(to: BFloat16.self))
    }

    /// Whether every element of `dense` is a bf16 value already (then ``init(rounding:)`` loses nothing).
    public static func isRepresentable(_ dense: Tensor<Float>) -> Bool {
        dense.withUnsafeScalars { $0.allSatisfy { $0.bitPattern & 0xFFFF == 0 || $0.isNaN } }
    }

    /// `W` widened to float32, `[rows, columns]`.
    public func dense() -> Tensor<Float> {
        Tensor<Float>(shape: shape) { out in widen(into: out.baseAddress!, fromRow: 0, count: rows) }
    }

    /// `W[ids, :]`, laid out as `shape + [columns]` (default `[ids.count, columns]`).
    /// - Precondition: every id lies in `0..<rows`.
    public func rows(_ ids: [Int], shape layout: [Int]? = nil) -> Tensor<Float> {
        let (limit, width) = (rows, columns)
        precondition(ids.allSatisfy { (0..<limit).contains($0) }, "BFloat16Matrix: id out of 0..<\(limit)")
        let ids64 = ids.map(Int64.init)
        return Tensor<Float>(shape: (layout ?? [ids.count]) + [width]) { out in
            guard let dst = out.baseAddress else { return }
            storage.withUnsafeScalars { table in
                Kernels.gatherBFloat16Rows(dst, table: table.baseAddress!, ids: ids64, columns: width)
            }
        }
    }

    /// `x · Wᵀ`: `x` `[n, columns]` → `[n, rows]`.
    public func productTransposed(_ x: Tensor<Float>) -> Tensor<Float> {
        precondition(x.rank == 2 && x.shape[1] == columns, "BFloat16Matrix: x \(x.shape) for W \(shape)")
        let (n, V, C) = (x.shape[0], rows, columns)
        let cx = x.detached
        return Tensor<Float>(shape: [n, V]) { out in
            guard let y = out.baseAddress, n > 0 else { return }
            if n <= 4 {
                storage.withUnsafeScalars { w in
                    Kernels.matvecBFloat16(y, x: cx.storage.pointer, w: w.baseAddress!, m: n, n: V, k: C)
                }
                return
            }
            withPanels { start, count, panel in
                Kernels.gemm(transposeA: false, transposeB: true, m: n, n: count, k: C, alpha: 1, a: cx.storage.pointer,
                             lda: C, b: panel, ldb: C, beta: 0, c: y + start, ldc: V)
            }
        }
    }

    /// `dy · W`: `dy` `[n, rows]` → `[n, columns]`.
    public func product(_ dy: Tensor<Float>) -> Tensor<Float> {
        precondition(dy.rank == 2 && dy.shape[1] == rows, "BFloat16Matrix: dy \(dy.shape) for W \(shape)")
        let (n, V, C) = (dy.shape[0], rows, columns)
        let cdy = dy.detached
        return Tensor<Float>(shape: [n, C]) { out in
            guard let y = out.baseAddress else { return }
            if V == 0 || n == 0 { out.initialize(repeating: 0); return }
            withPanels { start, count, panel in
                Kernels.gemm(transposeA: false, transposeB: false, m: n, n: C, k: count, alpha: 1,
                             a: cdy.storage.pointer + start, lda: V, b: panel, ldb: C, beta: start == 0 ? 0 : 1,
                             c: y, ldc: C)
            }
        }
    }

    /// Calls `body(firstRow, rowCount, widenedPanel)` for consecutive panels of ``panelRows`` rows.
    private func withPanels(_ body: (Int, Int, UnsafePointer<Float>) -> Void) {
        let panelRows = min(Self.panelRows, rows)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, panelRows * columns))
        defer { scratch.deallocate() }
        for start in stride(from: 0, to: rows, by: panelRows) {
            let count = min(panelRows, rows - start)
            widen(into: scratch, fromRow: start, count: count)
            body(start, count, scratch)
        }
    }

    private func widen(into dst: UnsafeMutablePointer<Float>, fromRow start: Int, count: Int) {
        storage.withUnsafeScalars { w in
            Kernels.widenBFloat16(dst, w.baseAddress! + start * columns, count: count * columns)
        }
    }
}
