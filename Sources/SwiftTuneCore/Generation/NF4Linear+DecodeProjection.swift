/// An NF4 layer's decode product is the 4-bit matrix–vector kernel row by row (`st_nf4_matvec_f32`: each row's sum
/// in a fixed order, whatever the number of rows); its epilogue adds the bias.
extension NF4Linear: DecodeProjection {
    public var fusibleDecodeWeight: Tensor<Float>? { nil }

    public func decodeBase(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        let (input, output) = (inputFeatures, outputFeatures)
        weight.packed.withUnsafeBufferPointer { p in
            absmax.withUnsafeBufferPointer { a in
                guard let pp = p.baseAddress, let ap = a.baseAddress else { return }
                for r in 0..<rows {
                    Kernels.nf4Matvec(y: y + r * output, x: x + r * input, packed: pp, absmax: ap,
                                      inputFeatures: input, outputFeatures: output)
                }
            }
        }
    }

    public func decodeEpilogue(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, groups: DecodeRowGroups) {
        addBias(bias, to: y, rows: groups.rowCount)
    }

    public func prefill(_ x: Tensor<Float>, adapter: Int?) -> Tensor<Float> { self(x) }
}
