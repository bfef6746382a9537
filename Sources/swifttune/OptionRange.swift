import ArgumentParser
import SwiftTuneCore

/// Range checks of command-line values, with messages that name the option in both spellings and the value.
enum OptionRange {
    /// The command-line option for a configuration field (`per_device_train_batch_size` → `--batch-size`), from
    /// ``MSSwiftOptions/table``; fields outside the table are SwiftTune's own (`sgd_momentum` → `--sgd-momentum`).
    static func option(forField field: String, command: MSSwiftOptions.Command = .train) -> String {
        if let entry = MSSwiftOptions.entry(field, for: command) {
            switch entry.target {
            case let .option(kebab), let .flag(kebab): return "--\(kebab) (ms-swift --\(field))"
            case .maxSteps: return "--max-steps (ms-swift --\(field))"
            case .tuner: return "--tuner (ms-swift --\(field))"
            case .optim: return "--optimizer (ms-swift --\(field))"
            case .quantization: return "--quantize"
            }
        }
        return "--" + field.replacingOccurrences(of: "_", with: "-")
    }

    /// `error` with command-line names: a ``TrainingError/outOfRange(field:value:allowed:)`` names its option.
    static func commandLine(_ error: Error) -> ValidationError {
        if case let TrainingError.outOfRange(field, value, allowed) = error {
            return ValidationError("\(option(forField: field)) \(value) is out of range: must be \(allowed)")
        }
        return ValidationError("\(error)")
    }

    /// An out-of-range error for `option` (spelled as on the command line).
    static func failure(_ option: String, _ value: Any, _ allowed: String) -> ValidationError {
        ValidationError("\(option) \(value) is out of range: must be \(allowed)")
    }

    static func atLeast(_ option: String, _ value: Int?, _ minimum: Int) throws {
        if let value, value < minimum { throw failure(option, value, "an integer ≥ \(minimum)") }
    }

    static func finite(_ option: String, _ value: Double?, atLeast minimum: Double) throws {
        if let value, !(value.isFinite && value >= minimum) { throw failure(option, value, "a finite number ≥ \(text(minimum))") }
    }

    static func finite(_ option: String, _ value: Double?, above minimum: Double) throws {
        if let value, !(value.isFinite && value > minimum) { throw failure(option, value, "a finite number > \(text(minimum))") }
    }

    /// `2` for 2.0, `0.5` for 0.5.
    static func text(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }

    /// `--threads`: 1 to 1024.
    static func threads(_ value: Int?) throws {
        if let value, !(1...1024).contains(value) { throw failure("--threads", value, "an integer in [1, 1024]") }
    }

    /// `--max-row-bytes`: at least 1 byte.
    static func maxRowBytes(_ value: Int?) throws {
        try atLeast("--max-row-bytes", value, 1)
    }
}
