/// One LoRA update `y += s · (x · Aᵀ) · Bᵀ` prepared for the decoding path: A `[r, in]`, Bᵀ `[r, out]` and s.
///
/// Both products run on the low-rank kernels (`st_lowrank_project_f32`, `st_lowrank_expand_f32`), whose
/// per-element arithmetic is fixed, so a row's update is the same bits whatever rows surround it.
struct LowRankUpdate {
    let a: Tensor<Float>
    let bTransposed: Tensor<Float>
    let scale: Float

    var rank: Int { a.shape[0] }
    var inputFeatures: Int { a.shape[1] }
    var outputFeatures: Int { bTransposed.shape[1] }

    /// From A `[r, in]` and B `[out, r]`.
    init(a: Tensor<Float>, b: Tensor<Float>, scale: Float) {
        self.a = a.detached
        let (output, rank) = (b.shape[0], b.shape[1])
        let cb = b.detached
        bTransposed = Tensor<Float>(shape: [rank, output]) { out in
            guard let c = out.baseAddress else { return }
            Kernels.lowRankTranspose(c, cb.storage.pointer, rows: output, columns: rank)
        }
        self.scale = scale
    }

    /// `y[rows] += s · (x[rows] · Aᵀ) · Bᵀ` for the rows `rows` of x `[·, in]` and y `[·, out]`.
    func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        let (r, input, output) = (rank, inputFeatures, outputFeatures)
        guard !rows.isEmpty else { return }
        let h = UnsafeMutablePointer<Float>.allocate(capacity: rows.count * r)
        defer { h.deallocate() }
        withExtendedLifetime((a, bTransposed)) {
            Kernels.lowRankProject(h, x: x + rows.lowerBound * input, w: UnsafePointer(a.storage.pointer), scale: 1,
                                   rows: rows.count, inner: input, rank: r)
            Kernels.lowRankExpand(y + rows.lowerBound * output, h: UnsafePointer(h),
                                  w: UnsafePointer(bTransposed.storage.pointer), scale: scale, accumulate: true,
                                  rows: rows.count, rank: r, columns: output)
        }
    }

    /// `y + s · (x · Aᵀ) · Bᵀ` for a chunk x `[..., in]`, y `[..., out]` (y is copied when shared).
    func applied(to y: Tensor<Float>, x: Tensor<Float>) -> Tensor<Float> {
        var out = y.detached
        let cx = x.detached
        let rows = cx.count / max(1, inputFeatures)
        out.withUnsafeMutableScalars { yp in
            guard let yb = yp.baseAddress else { return }
            apply(UnsafePointer(cx.storage.pointer), yb, rows: 0..<rows)
        }
        return out
    }
}
