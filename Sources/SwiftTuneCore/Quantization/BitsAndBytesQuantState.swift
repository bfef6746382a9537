import Foundation

/// The non-tensor fields of bitsandbytes' `QuantState` for one 4-bit weight: the JSON object that
/// `QuantState.as_dict(packed=True)` stores as the `uint8` tensor `<module>.weight.quant_state.bitsandbytes__nf4`
/// (bitsandbytes 0.50, `functional.py`; `utils.pack_dict_to_tensor` is `json.dumps(d).encode("utf-8")`):
///
/// ```json
/// {"quant_type": "nf4", "blocksize": 64, "dtype": "float32", "shape": [48, 48],
///  "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 0.8124094009399414}
/// ```
///
/// The `nested_*` keys are present only with double quantization. `dtype` is the dtype of the weight that was
/// quantized, which is the dtype `dequantize_4bit` returns (transformers: the model's dtype when it was loaded).
public struct BitsAndBytesQuantState: Codable, Sendable, Equatable {
    /// `"nf4"` (or `"fp4"`, which SwiftTune does not load).
    public var quantType: String
    /// Weights per absmax (64 for SwiftTune's ``NF4Weight``).
    public var blocksize: Int
    /// torch's name of the original weight's dtype: `"float32"`, `"bfloat16"`, `"float16"`.
    public var dtype: String
    /// The weight's shape, `[out, in]` for a linear layer.
    public var shape: [Int]?
    /// Absmax per second-level scale (256), with double quantization.
    public var nestedBlocksize: Int?
    /// The second-level scales' dtype (`"float32"`), with double quantization.
    public var nestedDType: String?
    /// The mean subtracted from the absmax before quantizing them (a float32 value), with double quantization.
    public var nestedOffset: Double?

    public init(quantType: String = "nf4", blocksize: Int, dtype: String, shape: [Int]?, nestedBlocksize: Int? = nil,
                nestedDType: String? = nil, nestedOffset: Double? = nil) {
        self.quantType = quantType
        self.blocksize = blocksize
        self.dtype = dtype
        self.shape = shape
        self.nestedBlocksize = nestedBlocksize
        self.nestedDType = nestedDType
        self.nestedOffset = nestedOffset
    }

    enum CodingKeys: String, CodingKey {
        case quantType = "quant_type", blocksize, dtype, shape
        case nestedBlocksize = "nested_blocksize", nestedDType = "nested_dtype", nestedOffset = "nested_offset"
    }

    /// The bytes bitsandbytes writes for these fields: Python's `json.dumps` with its default separators
    /// (`", "`, `": "`), keys in `as_dict`'s order, the offset as Python's `repr` of the float32 value.
    public var pythonJSON: [UInt8] {
        var fields: [(String, PythonJSON)] = [
            ("quant_type", .string(quantType)), ("blocksize", .int(blocksize)), ("dtype", .string(dtype)),
            ("shape", shape.map { .array($0.map { .int($0) }) } ?? .null),
        ]
        if let nestedBlocksize { fields.append(("nested_blocksize", .int(nestedBlocksize))) }
        if let nestedDType { fields.append(("nested_dtype", .string(nestedDType))) }
        if let nestedOffset { fields.append(("nested_offset", .float(nestedOffset))) }
        return Array(PythonJSON.object(fields).serialized().utf8)
    }
}

extension SafetensorsDType {
    /// torch's name for this dtype as bitsandbytes writes it in a quant state (`str(dtype).strip("torch.")`),
    /// or `nil` for a type a quantized model's weights cannot have.
    var torchName: String? {
        switch self {
        case .float32: return "float32"
        case .bfloat16: return "bfloat16"
        case .float16: return "float16"
        case .float64: return "float64"
        default: return nil
        }
    }
}
