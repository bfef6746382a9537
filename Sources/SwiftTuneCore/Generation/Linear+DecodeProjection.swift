/// A dense layer joins the fused matrix–vector pass with its weight; its epilogue adds the bias.
extension Linear: DecodeProjection where Scalar == Float {
    public var fusibleDecodeWeight: Tensor<Float>? { weight.value }

    public func decodeBase(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        withExtendedLifetime(weight.value) {
            Kernels.matvec(y, x: x, w: UnsafePointer(weight.value.storage.pointer), m: rows, n: outputFeatures,
                           k: inputFeatures)
        }
    }

    public func decodeEpilogue(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, groups: DecodeRowGroups) {
        addBias(bias, to: y, rows: groups.rowCount)
    }

    public func prefill(_ x: Tensor<Float>, adapter: Int?) -> Tensor<Float> { self(x) }
}
