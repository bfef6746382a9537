/// One projection of an ``AdapterBank``: the shared base plus, per adapter that targets it, a low-rank update
/// applied to that adapter's rows only.
final class AdapterBankProjection: DecodeProjection {
    let base: any DecodeProjection
    /// By adapter index.
    let updates: [Int: LowRankUpdate]

    init(base: any DecodeProjection, updates: [Int: LowRankUpdate]) {
        self.base = base
        self.updates = updates
    }

    var inputFeatures: Int { base.inputFeatures }
    var outputFeatures: Int { base.outputFeatures }
    var path: String { base.path }
    var decodeUnsupportedReason: String? { base.decodeUnsupportedReason }
    var fusibleDecodeWeight: Tensor<Float>? { base.fusibleDecodeWeight }

    func decodeBase(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        base.decodeBase(x, rows: rows, into: y)
    }

    /// The base's epilogue on all rows, then each group's adapter update on the group's rows.
    func decodeEpilogue(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, groups: DecodeRowGroups) {
        base.decodeEpilogue(x, y, groups: groups)
        for group in groups.groups {
            guard let adapter = group.adapter, let update = updates[adapter] else { continue }
            update.apply(x, y, rows: group.rows)
        }
    }

    func prefill(_ x: Tensor<Float>, adapter: Int?) -> Tensor<Float> {
        let y = base.prefill(x, adapter: nil)
        guard let adapter, let update = updates[adapter] else { return y }
        return update.applied(to: y, x: x)
    }
}
