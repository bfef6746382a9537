/// A weight in NF4, the 4-bit NormalFloat of QLoRA (Dettmers et al. 2023, section 3), stored exactly as
/// bitsandbytes' `quantize_4bit(blocksize=64, quant_type="nf4")` stores it.
///
/// The weight (any shape; a linear weight is `[out, in]`) is flattened row-major and cut into blocks of
/// ``blockSize`` = 64 elements (a block may straddle rows; a short last block has its own absmax). Each element
/// becomes the index of the NF4 value (``codebook``) nearest to `w / absmax` of its block — ties to the lower
/// value — and two indices share a byte, the first element in the high nibble:
///
///     W'[e] = codebook[code(e)] · absmax[e / 64]
///
/// That is 4 bits per weight plus the scales: 32 bits per block, or 8.5 per block with double quantization
/// (``NF4Scales/doubleQuantized(_:)``, the default, as in transformers' `bnb_4bit_use_double_quant=True`).
///
/// ```swift
/// let q = NF4Weight.quantize(from: linear.weight.value)     // [out, in], double-quantized absmax
/// let w = q.dequantize()                                      // the float32 weight the model computes with
/// ```
public struct NF4Weight: Sendable, Equatable {
    /// Weights per absmax (bitsandbytes blocksize 64, the QLoRA default).
    public static let blockSize = Kernels.nf4BlockSize
    /// The 16 NF4 values, ascending, from −1 to 1 with an exact 0 (bitsandbytes `get_4bit_type("nf4")`).
    public static var codebook: [Float] { Kernels.nf4Codebook }

    /// The shape of the full-precision weight.
    public let shape: [Int]
    /// Two 4-bit codes per byte, element 2i in the high nibble of byte i; `ceil(count / 2)` bytes (an odd count
    /// pads the last low nibble with the code of 0.0).
    public let packed: [UInt8]
    /// One scale per block of 64 weights, plain or double-quantized.
    public let scales: NF4Scales

    /// The number of weights.
    public var count: Int { shape.reduce(1, *) }
    /// The number of blocks of 64 (absmax values).
    public var blockCount: Int { (count + Self.blockSize - 1) / Self.blockSize }
    /// Bytes held: codes plus scales (plus the 8-bit codes and second-level scales when double-quantized).
    public var byteCount: Int {
        switch scales {
        case let .float32(a): return packed.count + 4 * a.count
        case let .doubleQuantized(q): return packed.count + q.codes.count + 4 * q.absmax.count + 4
        }
    }

    /// Wraps existing NF4 data (from a checkpoint, or from bitsandbytes).
    /// - Throws: ``NF4Error`` when `packed` or `scales` do not have the sizes `shape` needs.
    public init(shape: [Int], packed: [UInt8], scales: NF4Scales) throws(NF4Error) {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw .invalidShape(shape) }
        let count = shape.reduce(1, *)
        guard packed.count == (count + 1) / 2 else {
            throw .sizeMismatch(what: "packed bytes for shape \(shape)", expected: (count + 1) / 2, actual: packed.count)
        }
        let blocks = (count + Self.blockSize - 1) / Self.blockSize
        guard scales.count == blocks else {
            throw .sizeMismatch(what: "absmax values for shape \(shape)", expected: blocks, actual: scales.count)
        }
        self.shape = shape
        self.packed = packed
        self.scales = scales
    }

    /// Quantizes a float32 weight; `doubleQuantization` also quantizes the absmax (QLoRA's default).
    public static func quantize(from weight: Tensor<Float>, doubleQuantization: Bool = true) -> NF4Weight {
        let count = weight.count
        let bytes = (count + 1) / 2, blocks = (count + blockSize - 1) / blockSize
        // The kernel writes every byte and every absmax, so neither array is zero-filled first (that would be a
        // second pass over the output).
        var absmax: [Float] = []
        let packed = [UInt8](unsafeUninitializedCapacity: bytes) { p, initializedBytes in
            absmax = [Float](unsafeUninitializedCapacity: blocks) { a, initializedBlocks in
                weight.withUnsafeScalars { w in
                    if let wp = w.baseAddress, let pp = p.baseAddress, let ap = a.baseAddress {
                        Kernels.nf4Quantize(packed: pp, absmax: ap, weights: wp, count: count)
                    }
                }
                initializedBlocks = blocks
            }
            initializedBytes = bytes
        }
        let scales: NF4Scales = doubleQuantization ? .doubleQuantized(.quantize(absmax)) : .float32(absmax)
        return try! NF4Weight(shape: weight.shape, packed: packed, scales: scales)
    }

    /// The float32 weight these codes stand for, bit-identical to bitsandbytes' `dequantize_4bit`.
    public func dequantize() -> Tensor<Float> { dequantize(absmax: scales.absmax()) }

    /// The same, with the absmax already decoded (``NF4Linear`` keeps them).
    func dequantize(absmax: [Float]) -> Tensor<Float> {
        Tensor<Float>(shape: shape) { out in
            packed.withUnsafeBufferPointer { p in
                absmax.withUnsafeBufferPointer { a in
                    guard let op = out.baseAddress, let pp = p.baseAddress, let ap = a.baseAddress else { return }
                    Kernels.nf4Dequantize(weights: op, packed: pp, absmax: ap, count: out.count)
                }
            }
        }
    }
}

/// NF4 data whose sizes do not fit together.
public enum NF4Error: Error, Equatable, CustomStringConvertible {
    /// `what` should have `expected` elements but has `actual`.
    case sizeMismatch(what: String, expected: Int, actual: Int)
    /// A shape with a negative extent.
    case invalidShape([Int])
    /// A layer needs a rank-2 `[out, in]` weight.
    case notAMatrix(path: String, shape: [Int])

    public var description: String {
        switch self {
        case let .sizeMismatch(what, expected, actual): return "NF4: \(what): expected \(expected), got \(actual)"
        case let .invalidShape(shape): return "NF4: invalid shape \(shape)"
        case let .notAMatrix(path, shape): return "NF4: \(path): a linear weight must be [out, in]; got \(shape)"
        }
    }
}
