/// Element conversions between stored safetensors bytes and tensor element types.
///
/// All safetensors data is little-endian; SwiftTune's platforms (arm64, x86_64) are too, so matching types are
/// copied as they are. Loads use `loadUnaligned` because a tensor's offset need not be aligned for its dtype.
enum SafetensorsConversion {
    typealias Converter<Scalar: TensorElement> = (UnsafeRawBufferPointer, UnsafeMutableBufferPointer<Scalar>) -> Void

    /// A function that fills a `Scalar` buffer from stored `source` bytes, or `nil` when the pair is unsupported
    /// (see ``SafetensorsFile/tensor(_:as:)`` for the table).
    static func converter<Scalar: TensorElement>(from source: SafetensorsDType, to target: SafetensorsDType,
                                                 as type: Scalar.Type) -> Converter<Scalar>? {
        if source.isConvertibleFloatingPoint && target.isConvertibleFloatingPoint {
            if Scalar.self == Double.self {
                return { bytes, out in
                    out.withMemoryRebound(to: Double.self) { out in
                        for i in out.indices { out[i] = loadDouble(bytes, index: i, dtype: source) }
                    }
                }
            }
            return { bytes, out in
                for i in out.indices { out[i] = Scalar(loadFloat(bytes, index: i, dtype: source)) }
            }
        }
        guard source.isReadableInteger else { return nil }
        if Scalar.self == Int64.self {
            return { bytes, out in
                out.withMemoryRebound(to: Int64.self) { out in
                    for i in out.indices { out[i] = loadInteger(bytes, index: i, dtype: source) }
                }
            }
        }
        if Scalar.self == Int32.self, source != .uint32, source != .int64 {
            return { bytes, out in
                out.withMemoryRebound(to: Int32.self) { out in
                    for i in out.indices { out[i] = Int32(truncatingIfNeeded: loadInteger(bytes, index: i, dtype: source)) }
                }
            }
        }
        return nil
    }

    /// Element `index` of a F16 / BF16 / F32 / F64 buffer as `Float` (F64 rounds to nearest).
    @inline(__always)
    static func loadFloat(_ bytes: UnsafeRawBufferPointer, index i: Int, dtype: SafetensorsDType) -> Float {
        switch dtype {
        case .float16: return HalfPrecision.float(fromBits: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        case .bfloat16: return BFloat16(bitPattern: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)).floatValue
        case .float32: return bytes.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
        case .float64: return Float(bytes.loadUnaligned(fromByteOffset: 8 * i, as: Double.self))
        default: preconditionFailure("loadFloat from \(dtype)")
        }
    }

    /// Element `index` of a F16 / BF16 / F32 / F64 buffer as `Double` (exact).
    @inline(__always)
    static func loadDouble(_ bytes: UnsafeRawBufferPointer, index i: Int, dtype: SafetensorsDType) -> Double {
        if dtype == .float64 { return bytes.loadUnaligned(fromByteOffset: 8 * i, as: Double.self) }
        return Double(loadFloat(bytes, index: i, dtype: dtype))
    }

    /// Element `index` of an integer or BOOL buffer (BOOL: any nonzero byte is 1).
    @inline(__always)
    static func loadInteger(_ bytes: UnsafeRawBufferPointer, index i: Int, dtype: SafetensorsDType) -> Int64 {
        switch dtype {
        case .bool: return bytes[i] != 0 ? 1 : 0
        case .uint8: return Int64(bytes[i])
        case .int8: return Int64(Int8(bitPattern: bytes[i]))
        case .int16: return Int64(bytes.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))
        case .uint16: return Int64(bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        case .int32: return Int64(bytes.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))
        case .uint32: return Int64(bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
        case .int64: return bytes.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)
        default: preconditionFailure("loadInteger from \(dtype)")
        }
    }

    /// Stores `value` as element `i` of `out` in `dtype` (F16 / BF16 / F32 / F64), rounding to nearest, ties to
    /// even, when narrowing.
    @inline(__always)
    static func storeFloat(_ value: Float, into out: UnsafeMutableRawBufferPointer, index i: Int, dtype: SafetensorsDType) {
        switch dtype {
        case .float16: out.storeBytes(of: HalfPrecision.bits(from: value), toByteOffset: 2 * i, as: UInt16.self)
        case .bfloat16: out.storeBytes(of: BFloat16(value).bitPattern, toByteOffset: 2 * i, as: UInt16.self)
        case .float32: out.storeBytes(of: value, toByteOffset: 4 * i, as: Float.self)
        case .float64: out.storeBytes(of: Double(value), toByteOffset: 8 * i, as: Double.self)
        default: preconditionFailure("storeFloat to \(dtype)")
        }
    }
}

#if _endian(big)
#error("safetensors data is little-endian; SafetensorsConversion assumes a little-endian host")
#endif
