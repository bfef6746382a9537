/// The `quantization_config` object of a bitsandbytes-quantized model's `config.json`: what transformers'
/// `BitsAndBytesConfig.to_dict()` writes (transformers 5.x, `utils/quantization_config.py`), with the same names.
///
/// SwiftTune writes and loads one kind: 4-bit NF4 with `uint8` storage, double quantization on or off. A model
/// quantized by transformers with
/// `BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True)` saves
///
/// ```json
/// {"_load_in_4bit": true, "_load_in_8bit": false, "bnb_4bit_compute_dtype": "float32",
///  "bnb_4bit_quant_storage": "uint8", "bnb_4bit_quant_type": "nf4", "bnb_4bit_use_double_quant": true,
///  "llm_int8_enable_fp32_cpu_offload": false, "llm_int8_has_fp16_weight": false, "llm_int8_skip_modules": null,
///  "llm_int8_threshold": 6.0, "load_in_4bit": true, "load_in_8bit": false, "quant_method": "bitsandbytes"}
/// ```
///
/// which is ``nf4(doubleQuantization:computeDType:)`` encoded. Decoding takes the defaults of `BitsAndBytesConfig`
/// for absent keys (quant type `fp4`, no double quantization, compute dtype `float32`, storage `uint8`), so older
/// files without the private `_load_in_4bit` keys read the same.
public struct BitsAndBytesConfiguration: Codable, Sendable, Equatable {
    /// `quant_method`: `"bitsandbytes"` for this format.
    public var quantMethod: String
    /// `load_in_4bit`: Params4bit weights (NF4 or FP4).
    public var loadIn4Bit: Bool
    /// `load_in_8bit`: LLM.int8() weights (not supported by SwiftTune).
    public var loadIn8Bit: Bool
    /// `bnb_4bit_quant_type`: `"nf4"` or `"fp4"`.
    public var quantType: String
    /// `bnb_4bit_use_double_quant`: the absmax are themselves quantized to 8 bits (QLoRA's double quantization).
    public var useDoubleQuantization: Bool
    /// `bnb_4bit_compute_dtype`: the dtype bitsandbytes' `Linear4bit` multiplies in (`"float32"`, `"bfloat16"`,
    /// …). SwiftTune always computes in float32 and writes `"float32"`.
    public var computeDType: String
    /// `bnb_4bit_quant_storage`: the element type holding the packed codes; SwiftTune reads `"uint8"` only.
    public var quantStorage: String
    /// `llm_int8_threshold` (8-bit only; kept so the object round-trips).
    public var int8Threshold: Double
    /// `llm_int8_skip_modules`: modules left unquantized (`null` when none were named).
    public var int8SkipModules: [String]?
    /// `llm_int8_enable_fp32_cpu_offload` (kept so the object round-trips).
    public var int8EnableFP32CPUOffload: Bool
    /// `llm_int8_has_fp16_weight` (kept so the object round-trips).
    public var int8HasFP16Weight: Bool

    /// 4-bit NF4 with `uint8` storage, as `BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
    /// bnb_4bit_use_double_quant=doubleQuantization, bnb_4bit_compute_dtype=computeDType)` has it.
    public static func nf4(doubleQuantization: Bool = true, computeDType: String = "float32") -> BitsAndBytesConfiguration {
        BitsAndBytesConfiguration(quantMethod: "bitsandbytes", loadIn4Bit: true, loadIn8Bit: false, quantType: "nf4",
                                  useDoubleQuantization: doubleQuantization, computeDType: computeDType,
                                  quantStorage: "uint8", int8Threshold: 6.0, int8SkipModules: nil,
                                  int8EnableFP32CPUOffload: false, int8HasFP16Weight: false)
    }

    public init(quantMethod: String, loadIn4Bit: Bool, loadIn8Bit: Bool, quantType: String,
                useDoubleQuantization: Bool, computeDType: String, quantStorage: String, int8Threshold: Double,
                int8SkipModules: [String]?, int8EnableFP32CPUOffload: Bool, int8HasFP16Weight: Bool) {
        self.quantMethod = quantMethod
        self.loadIn4Bit = loadIn4Bit
        self.loadIn8Bit = loadIn8Bit
        self.quantType = quantType
        self.useDoubleQuantization = useDoubleQuantization
        self.computeDType = computeDType
        self.quantStorage = quantStorage
        self.int8Threshold = int8Threshold
        self.int8SkipModules = int8SkipModules
        self.int8EnableFP32CPUOffload = int8EnableFP32CPUOffload
        self.int8HasFP16Weight = int8HasFP16Weight
    }

    /// Why SwiftTune cannot load weights quantized this way, or `nil` when it can (4-bit NF4 in `uint8`).
    public var unsupportedReason: String? {
        if quantMethod != "bitsandbytes" {
            return "quant_method '\(quantMethod)' is not supported (SwiftTune loads bitsandbytes NF4 only)"
        }
        if loadIn8Bit { return "load_in_8bit (LLM.int8()) is not supported; SwiftTune loads 4-bit NF4 only" }
        if !loadIn4Bit { return "quant_method bitsandbytes without load_in_4bit is not supported" }
        if quantType != "nf4" { return "bnb_4bit_quant_type '\(quantType)' is not supported; SwiftTune loads nf4 only" }
        if quantStorage != "uint8" {
            return "bnb_4bit_quant_storage '\(quantStorage)' is not supported; SwiftTune loads uint8 storage only"
        }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case quantMethod = "quant_method"
        case loadIn4Bit = "load_in_4bit", loadIn8Bit = "load_in_8bit"
        case privateLoadIn4Bit = "_load_in_4bit", privateLoadIn8Bit = "_load_in_8bit"
        case quantType = "bnb_4bit_quant_type"
        case useDoubleQuantization = "bnb_4bit_use_double_quant"
        case computeDType = "bnb_4bit_compute_dtype"
        case quantStorage = "bnb_4bit_quant_storage"
        case int8Threshold = "llm_int8_threshold"
        case int8SkipModules = "llm_int8_skip_modules"
        case int8EnableFP32CPUOffload = "llm_int8_enable_fp32_cpu_offload"
        case int8HasFP16Weight = "llm_int8_has_fp16_weight"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        quantMethod = try c.decode(String.self, forKey: .quantMethod)
        loadIn4Bit = try c.decodeIfPresent(Bool.self, forKey: .loadIn4Bit)
            ?? c.decodeIfPresent(Bool.self, forKey: .privateLoadIn4Bit) ?? false
        loadIn8Bit = try c.decodeIfPresent(Bool.self, forKey: .loadIn8Bit)
            ?? c.decodeIfPresent(Bool.self, forKey: .privateLoadIn8Bit) ?? false
        quantType = try c.decodeIfPresent(String.self, forKey: .quantType) ?? "fp4"
        useDoubleQuantization = try c.decodeIfPresent(Bool.self, forKey: .useDoubleQuantization) ?? false
        computeDType = try c.decodeIfPresent(String.self, forKey: .computeDType) ?? "float32"
        quantStorage = try c.decodeIfPresent(String.self, forKey: .quantStorage) ?? "uint8"
        int8Threshold = try c.decodeIfPresent(Double.self, forKey: .int8Threshold) ?? 6.0
        int8SkipModules = try c.decodeIfPresent([String].self, forKey: .int8SkipModules)
        int8EnableFP32CPUOffload = try c.decodeIfPresent(Bool.self, forKey: .int8EnableFP32CPUOffload) ?? false
        int8HasFP16Weight = try c.decodeIfPresent(Bool.self, forKey: .int8HasFP16Weight) ?? false
    }

    /// Every key transformers writes, `llm_int8_skip_modules` as `null` when there are none. (`JSONEncoder` writes
    /// `llm_int8_threshold` 6.0 as `6`, which transformers rejects; config.json is written from `pythonJSON`.)
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(quantMethod, forKey: .quantMethod)
        try c.encode(loadIn4Bit, forKey: .loadIn4Bit)
        try c.encode(loadIn8Bit, forKey: .loadIn8Bit)
        try c.encode(loadIn4Bit, forKey: .privateLoadIn4Bit)
        try c.encode(loadIn8Bit, forKey: .privateLoadIn8Bit)
        try c.encode(quantType, forKey: .quantType)
        try c.encode(useDoubleQuantization, forKey: .useDoubleQuantization)
        try c.encode(computeDType, forKey: .computeDType)
        try c.encode(quantStorage, forKey: .quantStorage)
        try c.encode(int8Threshold, forKey: .int8Threshold)
        if let int8SkipModules { try c.encode(int8SkipModules, forKey: .int8SkipModules) } else {
            try c.encodeNil(forKey: .int8SkipModules)
        }
        try c.encode(int8EnableFP32CPUOffload, forKey: .int8EnableFP32CPUOffload)
        try c.encode(int8HasFP16Weight, forKey: .int8HasFP16Weight)
    }

    /// The object as transformers writes it, floats as floats (`"llm_int8_threshold": 6.0`: transformers rejects
    /// an integer there), keys sorted.
    var pythonJSON: PythonJSON {
        .object([
            ("_load_in_4bit", .bool(loadIn4Bit)), ("_load_in_8bit", .bool(loadIn8Bit)),
            ("bnb_4bit_compute_dtype", .string(computeDType)), ("bnb_4bit_quant_storage", .string(quantStorage)),
            ("bnb_4bit_quant_type", .string(quantType)), ("bnb_4bit_use_double_quant", .bool(useDoubleQuantization)),
            ("llm_int8_enable_fp32_cpu_offload", .bool(int8EnableFP32CPUOffload)),
            ("llm_int8_has_fp16_weight", .bool(int8HasFP16Weight)),
            ("llm_int8_skip_modules", int8SkipModules.map { .array($0.map { .string($0) }) } ?? .null),
            ("llm_int8_threshold", .float(int8Threshold)),
            ("load_in_4bit", .bool(loadIn4Bit)), ("load_in_8bit", .bool(loadIn8Bit)),
            ("quant_method", .string(quantMethod)),
        ])
    }
}
