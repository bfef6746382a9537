/// An adapter configuration, folder or operation that cannot be used. Every case names the file (when one is
/// involved) and the key, tensor or module that is wrong.
public enum LoRAError: Error, CustomStringConvertible, Equatable {
    /// A configuration field holds a value SwiftTune does not support (`bias` other than `"none"`, a `peft_type`
    /// other than `"LORA"`, `fan_in_fan_out: true`, …). `file` is empty for a configuration not read from a file.
    case unsupportedValue(file: String, key: String, value: String, supported: String)
    /// A configuration field is out of range (`r` ≤ 0, `lora_dropout` outside [0, 1), …).
    case invalidValue(file: String, key: String, value: String, reason: String)
    /// A file of the adapter folder is missing.
    case missingFile(String)
    /// `adapter_config.json` is not the JSON expected (`reason` names the key path).
    case invalidConfiguration(file: String, reason: String)
    /// The weights file lacks the tensor an adapter of the configuration needs.
    case missingTensor(file: String, key: String)
    /// A tensor of the weights file has a different shape than the model and configuration imply.
    case shapeMismatch(file: String, key: String, expected: [Int], actual: [Int])
    /// The weights file holds a tensor that no adapter of the configuration uses.
    case unexpectedTensor(file: String, key: String)
    /// The configuration selects no projection of the model.
    case noTargetModules(file: String, targetModules: String)
    /// The model already has adapters on some projection (`module` is its path).
    case alreadyAdapted(module: String)
    /// An operation needs a dense ``Linear`` base (PiSSA initialisation, merging) and `module` has another kind.
    case requiresDenseBase(module: String, operation: String)
    /// LAPACK's SVD failed on a module's weight (PiSSA).
    case decompositionFailed(module: String)

    public var description: String {
        func at(_ file: String) -> String { file.isEmpty ? "LoRA configuration" : file }
        switch self {
        case let .unsupportedValue(file, key, value, supported):
            return "\(at(file)): '\(key)' = \(value) is not supported (supported: \(supported))"
        case let .invalidValue(file, key, value, reason):
            return "\(at(file)): '\(key)' = \(value): \(reason)"
        case let .missingFile(path):
            return "\(path): no such file (a PEFT adapter folder needs adapter_config.json and adapter_model.safetensors)"
        case let .invalidConfiguration(file, reason):
            return "\(file): \(reason)"
        case let .missingTensor(file, key):
            return "\(file): tensor '\(key)' is missing"
        case let .shapeMismatch(file, key, expected, actual):
            return "\(file): tensor '\(key)' has shape \(actual), expected \(expected)"
        case let .unexpectedTensor(file, key):
            return "\(file): tensor '\(key)' belongs to no adapter of the configuration"
        case let .noTargetModules(file, targets):
            return "\(at(file)): 'target_modules' = \(targets) matches no projection of the model"
        case let .alreadyAdapted(module):
            return "\(module): already has a LoRA adapter"
        case let .requiresDenseBase(module, operation):
            return "\(module): \(operation) needs a dense Linear base layer"
        case let .decompositionFailed(module):
            return "\(module): the SVD of the base weight did not converge"
        }
    }

    /// The same error, attributed to `file` (configuration errors are raised while decoding, before the file is known).
    func attributed(to file: String) -> LoRAError {
        switch self {
        case let .unsupportedValue(_, key, value, supported): return .unsupportedValue(file: file, key: key, value: value, supported: supported)
        case let .invalidValue(_, key, value, reason): return .invalidValue(file: file, key: key, value: value, reason: reason)
        case let .noTargetModules(_, targets): return .noTargetModules(file: file, targetModules: targets)
        default: return self
        }
    }
}
