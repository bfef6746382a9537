/// A LoRA adapter on the decoding path: its base's product (fused when the base is dense), the base's epilogue, then
/// the low-rank update `s · (x · Aᵀ) · Bᵀ` on the decode vectors of every row. Merged or disabled
/// (``CausalLanguageModel/withAdaptersDisabled(_:)``): the base alone. Dropout never applies (generation).
extension LoRALinear: DecodeProjection where Scalar == Float {
    /// The base as a ``DecodeProjection`` (every layer SwiftTune builds is one).
    var decodeBaseLayer: (any DecodeProjection)? { base as? any DecodeProjection }

    public var decodeUnsupportedReason: String? {
        guard let inner = decodeBaseLayer else { return "its base layer \(type(of: base)) has no decode path" }
        if variant == .dora && !isMerged && !isDisabled { return "DoRA adapters are not on the decode path (merge them first)" }
        return inner.decodeUnsupportedReason
    }

    public var fusibleDecodeWeight: Tensor<Float>? { decodeBaseLayer?.fusibleDecodeWeight }

    public func decodeBase(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        decodeBaseLayer?.decodeBase(x, rows: rows, into: y)
    }

    public func decodeEpilogue(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, groups: DecodeRowGroups) {
        decodeBaseLayer?.decodeEpilogue(x, y, groups: groups)
        guard !isMerged && !isDisabled else { return }
        decodeUpdate.apply(x, y, rows: 0..<groups.rowCount)
    }

    public func prefill(_ x: Tensor<Float>, adapter: Int?) -> Tensor<Float> {
        guard let inner = decodeBaseLayer else { return withoutGradients { base(x) } }
        let y = inner.prefill(x, adapter: adapter)
        return isMerged || isDisabled ? y : decodeUpdate.applied(to: y, x: x)
    }

    /// The current A, B and s as a ``LowRankUpdate``.
    var decodeUpdate: LowRankUpdate { LowRankUpdate(a: loraA.value, b: loraB.value, scale: scale) }
}
