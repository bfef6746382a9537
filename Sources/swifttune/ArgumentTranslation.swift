/// Rewrites ms-swift spellings into SwiftTune's before ArgumentParser sees the arguments (after `--config` files
/// have been expanded into options, so files take the same names).
///
/// For each `--name` (or `--name=value`):
/// 1. a name in ``MSSwiftOptions/unsupported`` is an error saying so (unless the command translates it, as `rlhf` does `loss_type`);
/// 2. a name in ``MSSwiftOptions/table`` for the command becomes its ``MSSwiftOptions/Target``;
/// 3. any other snake_case name is read as SwiftTune's kebab-case option (`--skip_bad_rows` = `--skip-bad-rows`), so
///    every SwiftTune option can be written either way in a config file;
/// 4. a boolean option followed by `true`/`false` (`1`/`0`, `yes`/`no`) becomes `--name` / `--no-name`; alone it
///    stays `--name`.
/// The bitsandbytes options are gathered and checked together (``quantization(_:)``).
enum ArgumentTranslation {
    /// SwiftTune's boolean options (`@Flag` with a `--no-` inversion), kebab-case.
    static let flags: Set<String> = [
        "packing", "shuffle", "gradient-checkpointing", "use-rslora", "use-dora", "skip-bad-rows", "sgd-nesterov",
        "merge-lora", "skip-nonfinite-steps", "precompute-ref-log-probs",
    ]

    static func translate(_ arguments: [String]) throws -> [String] {
        guard let commandIndex = arguments.firstIndex(where: { !$0.hasPrefix("-") }) else { return arguments }
        let command = MSSwiftOptions.Command(subcommand: arguments[commandIndex])
        var out = Array(arguments[...commandIndex])
        var quantization: [String: String] = [:]
        var i = commandIndex + 1
        /// The values following position `i` up to the next option.
        func values(after i: Int) -> [String] {
            Array(arguments[(i + 1)...].prefix { !isOption($0) })
        }
        while i < arguments.count {
            let token = arguments[i]
            if token == "--" { out += arguments[i...]; break }
            guard isOption(token) else { out.append(token); i += 1; continue }
            var name = String(token.dropFirst(2))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if MSSwiftOptions.isUnsupported(name, for: command) {
                throw CommandError("ms-swift option --\(name) is not supported by SwiftTune (see Documentation/CLI.md)")
            }
            let following = inline.map { [$0] } ?? values(after: i)
            let consumed = inline == nil ? following.count : 0
            let entry = command.flatMap { MSSwiftOptions.entry(name, for: $0) }
            let target = entry?.target ?? genericTarget(name)
            switch target {
            case let .option(kebab):
                out += optionTokens(kebab, following)
                i += 1 + consumed
            case let .flag(kebab):
                if let first = following.first, let value = boolean(first) {
                    out.append(value ? "--" + kebab : "--no-" + kebab)
                    i += 1 + (inline == nil ? 1 : 0)
                } else if let inline {
                    throw CommandError("--\(name) takes true or false, not '\(inline)'")
                } else {
                    out.append("--" + kebab)
                    i += 1
                }
            case .tuner:
                let value = try single(name, following)
                switch value {
                case "lora", "full": out += ["--tuner", value]
                case "dora": throw CommandError("ms-swift has no --\(name) dora: DoRA is --\(name) lora --use_dora true")
                default: throw CommandError("--\(name) \(value) is not supported by SwiftTune (lora or full)")
                }
                i += 1 + consumed
            case .optim:
                let value = try single(name, following)
                switch value {
                case "adamw_torch", "adamw_torch_fused", "adamw_hf", "adamw": out += ["--optimizer", "adamw"]
                case "sgd": out += ["--optimizer", "sgd"]
                default: throw CommandError("--optim \(value) is not supported by SwiftTune (adamw_torch, adamw_torch_fused or sgd)")
                }
                i += 1 + consumed
            case .maxSteps:
                // transformers' -1 means "no limit" (the epochs decide); any other value goes on to be checked.
                let value = try single(name, following)
                if value != "-1" { out += optionTokens("max-steps", [value]) }
                i += 1 + consumed
            case .quantization:
                quantization[name] = try single(name, following)
                i += 1 + consumed
            }
        }
        if !quantization.isEmpty { out += try Self.quantization(quantization) }
        return out
    }

    /// `--quant_method bnb --quant_bits 4 [--bnb_4bit_quant_type nf4] [--bnb_4bit_use_double_quant true]` →
    /// `--quantize nf4`; every other combination is an error naming the option.
    static func quantization(_ given: [String: String]) throws -> [String] {
        guard let method = given["quant_method"] else {
            let name = given.keys.sorted().first!
            throw CommandError("--\(name) needs --quant_method bnb --quant_bits 4 (SwiftTune's NF4 QLoRA)")
        }
        guard method == "bnb" else {
            throw CommandError("--quant_method \(method) is not supported by SwiftTune (bnb with --quant_bits 4: NF4)")
        }
        guard let bits = given["quant_bits"] else { throw CommandError("--quant_method bnb needs --quant_bits 4") }
        guard bits == "4" else { throw CommandError("--quant_bits \(bits) is not supported by SwiftTune (4: NF4)") }
        let type = given["bnb_4bit_quant_type"] ?? "nf4"
        guard type == "nf4" else { throw CommandError("--bnb_4bit_quant_type \(type) is not supported by SwiftTune (nf4)") }
        let double = given["bnb_4bit_use_double_quant"] ?? "true"
        guard let flag = boolean(double) else { throw CommandError("--bnb_4bit_use_double_quant takes true or false, not '\(double)'") }
        guard flag else {
            throw CommandError("--bnb_4bit_use_double_quant false is not supported by SwiftTune (its NF4 always double-quantizes)")
        }
        return ["--quantize", "nf4"]
    }

    /// `--kebab` and its values; a single value starting with `-` (`--max-length -1`) is joined as `--kebab=-1`, so
    /// ArgumentParser reads it as the option's (invalid) value rather than as another option.
    static func optionTokens(_ kebab: String, _ values: [String]) -> [String] {
        if values.count == 1, values[0].hasPrefix("-") { return ["--\(kebab)=\(values[0])"] }
        return ["--" + kebab] + values
    }

    /// A name outside the table: SwiftTune's own option in either spelling.
    static func genericTarget(_ name: String) -> MSSwiftOptions.Target {
        let kebab = name.replacingOccurrences(of: "_", with: "-")
        return flags.contains(kebab) ? .flag(kebab) : .option(kebab)
    }

    static func isOption(_ token: String) -> Bool {
        token.hasPrefix("--") && token.count > 2 && token.dropFirst(2).first.map { $0.isLetter } == true
    }

    static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: return nil
        }
    }

    static func single(_ name: String, _ values: [String]) throws -> String {
        guard values.count == 1 else {
            throw CommandError(values.isEmpty ? "--\(name) needs a value" : "--\(name) takes one value, not \(values.joined(separator: " "))")
        }
        return values[0]
    }
}
