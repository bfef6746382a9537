/// An element type named in a safetensors header (the `"dtype"` field).
///
/// The cases are declared in the order of the official implementation's `Dtype` enum (safetensors/src/tensor.rs,
/// "MUST be in increasing alignment order"); the writer sorts tensors by that order, descending, so its files match
/// `safetensors.torch.save_file` byte for byte. The sub-byte types (F4, F6_*) are not supported and read as unknown.
public enum SafetensorsDType: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case bool = "BOOL"
    case uint8 = "U8"
    case int8 = "I8"
    case float8E5M2 = "F8_E5M2"
    case float8E4M3 = "F8_E4M3"
    case float8E8M0 = "F8_E8M0"
    case float8E4M3FNUZ = "F8_E4M3FNUZ"
    case float8E5M2FNUZ = "F8_E5M2FNUZ"
    case int16 = "I16"
    case uint16 = "U16"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case int32 = "I32"
    case uint32 = "U32"
    case float32 = "F32"
    case complex64 = "C64"
    case float64 = "F64"
    case int64 = "I64"
    case uint64 = "U64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .uint8, .int8, .float8E5M2, .float8E4M3, .float8E8M0, .float8E4M3FNUZ, .float8E5M2FNUZ: return 1
        case .int16, .uint16, .float16, .bfloat16: return 2
        case .int32, .uint32, .float32: return 4
        case .complex64, .float64, .int64, .uint64: return 8
        }
    }

    /// `true` for the floating-point types SwiftTune converts between (F16, BF16, F32, F64).
    public var isConvertibleFloatingPoint: Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64: return true
        default: return false
        }
    }

    /// `true` for the integer types SwiftTune reads into `Int32` / `Int64` tensors (BOOL, U8, I8, I16, U16, I32, U32,
    /// I64).
    var isReadableInteger: Bool {
        switch self {
        case .bool, .uint8, .int8, .int16, .uint16, .int32, .uint32, .int64: return true
        default: return false
        }
    }

    /// The dtype a tensor element type is stored as, or `nil` when `Scalar` has no safetensors name.
    public init?<Scalar: TensorElement>(_ type: Scalar.Type) {
        self.init(rawValue: Scalar.dtypeName)
    }

    /// Position in the official `Dtype` ordering (used to sort tensors when writing).
    var alignmentRank: Int { Self.allCases.firstIndex(of: self)! }

    public var description: String { rawValue }
}
