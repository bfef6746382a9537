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
        guard !isMerged && !isDisabled else { return decodeBaseLayer?.decodeEpilogue(x, y, groups: groups) ?? () }
        guard let magnitude else {
            decodeBaseLayer?.decodeEpilogue(x, y, groups: groups)
            return decodeUpdate.apply(x, y, rows: 0..<groups.rowCount)
        }
        // DoRA (refused at session start for speed, but correct if enabled later): bias + g ∘ (x·Wᵀ + s·x·Aᵀ·Bᵀ),
        // g = m / ‖W + s·B·A‖ per output row.
        let rows = groups.rowCount
        decodeUpdate.apply(x, y, rows: 0..<rows)
        let g = (magnitude.value / weightNorm()).detached
        g.withUnsafeScalars { gp in
            for r in 0..<rows { for j in 0..<outputFeatures { y[r * outputFeatures + j] *= gp[j] } }
        }
        decodeBaseLayer?.decodeEpilogue(x, y, groups: groups)
    }

    public func prefill(_ x: Tensor<Float>, adapter: Int?) -> Tensor<Float> {
        guard let inner = decodeBaseLayer else { return withoutGradients { base(x) } }
        let y = inner.prefill(x, adapter: adapter)
        if isMerged || isDisabled { return y }
        guard let magnitude else { return decodeUpdate.applied(to: y, x: x) }
        let adapted = decodeUpdate.applied(to: withoutBias(y), x: x)
        let scaled = adapted * (magnitude.value / weightNorm()).detached
        return base.bias.map { scaled + $0.value.detached } ?? scaled
    }

    /// The current A, B and s as a ``LowRankUpdate``.
    var decodeUpdate: LowRankUpdate { LowRankUpdate(a: loraA.value, b: loraB.value, scale: scale) }
}
