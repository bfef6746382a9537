/// A bitsandbytes-quantized model folder that cannot be read, or a model that cannot be written as one.
/// Every case names the file or the module and what is wrong.
public enum BitsAndBytesError: Error, Equatable, CustomStringConvertible {
    /// `config.json`'s `quantization_config` (or a tensor's quant state) asks for something SwiftTune does not
    /// load: 8-bit, FP4, another quant method or storage type, another block size or codebook.
    case unsupportedQuantization(file: String, reason: String)
    /// A quantized weight's tensors are missing, have the wrong dtype or size, or its quant state is malformed.
    case invalidQuantizedTensor(file: String, tensor: String, reason: String)
    /// NF4 weights load only into `CausalLanguageModel<Float>` (``NF4Linear`` computes in float32).
    case quantizedWeightNeedsFloat(file: String, tensor: String, scalar: String)
    /// Saving in bitsandbytes' layout needs every decoder projection to be an ``NF4Linear``; `layer` says what
    /// the projection at `path` is instead.
    case projectionNotQuantized(path: String, layer: String)
    /// Some projections have double-quantized absmax and others not; `quantization_config` has one flag for all.
    case mixedDoubleQuantization(path: String)
    /// The non-quantized tensors cannot be stored as this dtype (F32, F16, BF16 or F64 can).
    case unsupportedStorageDType(path: String, dtype: String)

    public var description: String {
        switch self {
        case let .unsupportedQuantization(file, reason):
            return "\(file): \(reason)"
        case let .invalidQuantizedTensor(file, tensor, reason):
            return "\(file): quantized weight '\(tensor)': \(reason)"
        case let .quantizedWeightNeedsFloat(file, tensor, scalar):
            return "\(file): '\(tensor)' is NF4-quantized; it loads into a Float model, not \(scalar)"
        case let .projectionNotQuantized(path, layer):
            return "\(path) is \(layer), not NF4: quantize the model first (quantizeNF4()), after merging any adapters"
        case let .mixedDoubleQuantization(path):
            return "\(path): double quantization differs from the first projection's; bitsandbytes' "
                + "quantization_config has one bnb_4bit_use_double_quant for the whole model"
        case let .unsupportedStorageDType(path, dtype):
            return "\(path): cannot store a quantized model's other weights as \(dtype) (use F32, BF16, F16 or F64)"
        }
    }
}
