import Foundation

/// A LoRA adapter's configuration, stored as PEFT's `adapter_config.json` (`LoraConfig`) so that PEFT reads what
/// SwiftTune writes and the other way round.
///
/// An adapter adds a low-rank update to each targeted projection W `[out, in]`:
///
///     y = W·x + scale · B·A·dropout(x),    A [r, in], B [out, r],    scale = α / r   (rsLoRA: α / √r)
///
/// (Hu et al. 2021, "LoRA"; Kalajdzievski 2023, "rsLoRA"). With ``useDoRA`` the update is weight-decomposed
/// (Liu et al. 2024, "DoRA"): see ``LoRALinear``.
///
/// Decoding accepts (and ignores) keys SwiftTune does not use; values it cannot honour — `bias` other than
/// `"none"`, `peft_type` other than `"LORA"`, `fan_in_fan_out`, `modules_to_save`, rank or alpha patterns, … —
/// are a ``LoRAError/unsupportedValue(file:key:value:supported:)`` naming the key.
///
/// ```swift
/// var config = LoRAConfiguration(rank: 16, alpha: 32)
/// config.targetModules = .names(["q_proj", "v_proj"])
/// let adapters = try model.applyLoRA(config, seed: 42)
/// ```
public struct LoRAConfiguration: Codable, Sendable, Equatable {
    /// `r`: the rank of the update (default 8).
    public var rank: Int
    /// `lora_alpha`: α in the scale α / r (default 8).
    public var alpha: Double
    /// `lora_dropout`: drop probability applied to the adapter's input while training (default 0).
    public var dropout: Double
    /// `target_modules`: which projections get an adapter (default ``TargetModules/allLinear``).
    public var targetModules: TargetModules
    /// `use_rslora`: scale α / √r instead of α / r (default false).
    public var useRSLoRA: Bool
    /// `use_dora`: weight-decomposed LoRA with a trainable magnitude per output row (default false).
    public var useDoRA: Bool
    /// `init_lora_weights`: how A and B start (default ``Initialization/kaimingUniform``).
    public var initialization: Initialization
    /// `layers_to_transform`: only decoder layers with these indices get adapters (`nil`: all layers).
    public var layersToTransform: [Int]?
    /// `base_model_name_or_path`: the model the adapter was trained on (informational).
    public var baseModelNameOrPath: String?
    /// `task_type` (default `"CAUSAL_LM"`).
    public var taskType: String?
    /// `inference_mode`: PEFT loads the adapter frozen when true (PEFT's `save_pretrained` writes true).
    public var inferenceMode: Bool
    /// `revision` of the base model (informational).
    public var revision: String?

    /// Which projections of each decoder layer get an adapter, with PEFT's matching rules.
    public enum TargetModules: Codable, Sendable, Equatable {
        /// `"all-linear"`: all seven projections (q, k, v, o, gate, up, down), never `lm_head`.
        case allLinear
        /// A list: a module matches when its path equals a name or ends with `"." + name`
        /// (`"q_proj"` and `"model.layers.0.self_attn.q_proj"` both match layer 0's query projection).
        case names([String])
        /// Any other string: a regular expression that must match the whole module path.
        case pattern(String)

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let names = try? c.decode([String].self) {
                self = .names(names)
            } else {
                let text = try c.decode(String.self)
                self = text == "all-linear" ? .allLinear : .pattern(text)
            }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .allLinear: try c.encode("all-linear")
            case let .names(names): try c.encode(names)
            case let .pattern(pattern): try c.encode(pattern)
            }
        }

        /// The value as it appears in `adapter_config.json` (for messages).
        var jsonText: String {
            switch self {
            case .allLinear: return "\"all-linear\""
            case let .names(names): return "[" + names.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
            case let .pattern(pattern): return "\"\(pattern)\""
            }
        }

        /// Whether the projection at `modulePath` (e.g. `model.layers.3.mlp.up_proj`) is targeted.
        public func matches(_ modulePath: String) -> Bool {
            switch self {
            case .allLinear:
                return ProjectionName.allCases.contains { modulePath.hasSuffix("." + $0.rawValue) }
            case let .names(names):
                return names.contains { modulePath == $0 || modulePath.hasSuffix("." + $0) }
            case let .pattern(pattern):
                guard let regex = try? NSRegularExpression(pattern: "^(?:\(pattern))$") else { return false }
                return regex.firstMatch(in: modulePath, range: NSRange(modulePath.startIndex..., in: modulePath)) != nil
            }
        }
    }

    /// How A and B are initialised (`init_lora_weights`). All but ``linearDefault`` start with B·A = 0 or, for
    /// PiSSA, with the base weight reduced by the adapter's initial product, so the model's output is unchanged.
    public enum Initialization: Codable, Sendable, Equatable {
        /// `true`: A ~ kaiming_uniform(a = √5) = U(±1/√in), as `nn.Linear`; B = 0 (PEFT's default).
        case kaimingUniform
        /// `"gaussian"`: A ~ N(0, (1/r)²) (PEFT's `std = 1 / r`); B = 0.
        case gaussian
        /// `"pissa"`: principal singular values and vectors of W (Meng et al. 2024, "PiSSA"):
        /// with W = U·S·Vᵀ, A = diag(√(S_r / scale))·V_rᵀ, B = U_r·diag(√(S_r / scale)), and the base weight becomes
        /// W − scale·B·A. Needs a dense ``Linear`` base.
        case pissa
        /// `false`: A and B both keep `nn.Linear`'s default initialisation, U(±1/√fan_in), so B·A ≠ 0 (for tests).
        case linearDefault

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let flag = try? c.decode(Bool.self) {
                self = flag ? .kaimingUniform : .linearDefault
                return
            }
            let text = try c.decode(String.self)
            switch text.lowercased() {
            case "gaussian": self = .gaussian
            case "pissa": self = .pissa
            default:
                throw LoRAError.unsupportedValue(file: "", key: CodingKeys.initialization.rawValue, value: "\"\(text)\"",
                                                 supported: "true, false, \"gaussian\", \"pissa\"")
            }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .kaimingUniform: try c.encode(true)
            case .linearDefault: try c.encode(false)
            case .gaussian: try c.encode("gaussian")
            case .pissa: try c.encode("pissa")
            }
        }
    }

    /// A configuration with PEFT's defaults for everything not given.
    public init(rank: Int = 8, alpha: Double = 8, dropout: Double = 0, targetModules: TargetModules = .allLinear,
                useRSLoRA: Bool = false, useDoRA: Bool = false, initialization: Initialization = .kaimingUniform,
                layersToTransform: [Int]? = nil, baseModelNameOrPath: String? = nil) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targetModules = targetModules
        self.useRSLoRA = useRSLoRA
        self.useDoRA = useDoRA
        self.initialization = initialization
        self.layersToTransform = layersToTransform
        self.baseModelNameOrPath = baseModelNameOrPath
        taskType = "CAUSAL_LM"
        inferenceMode = false
        revision = nil
    }

    /// The adapter `swifttune sft` trains when no option says otherwise: ms-swift's LoRA defaults, which differ from
    /// PEFT's (`swift/arguments/tuner_args.py`: `lora_rank: int = 8`, `lora_alpha: int = 32`,
    /// `lora_dropout: float = 0.05`, `target_modules = ['all-linear']`, `use_rslora = False`, `use_dora = False`).
    public static let trainingDefault = LoRAConfiguration(rank: 8, alpha: 32, dropout: 0.05, targetModules: .allLinear)

    /// The factor on B·A: α / r, or α / √r with rsLoRA.
    public var scale: Double { useRSLoRA ? alpha / Double(rank).squareRoot() : alpha / Double(rank) }

    /// Checks the ranges PEFT would reject.
    /// - Throws: ``LoRAError/invalidValue(file:key:value:reason:)`` naming the key.
    public func validate() throws {
        if rank <= 0 {
            throw LoRAError.invalidValue(file: "", key: CodingKeys.rank.rawValue, value: "\(rank)", reason: "must be positive")
        }
        if !(alpha.isFinite && alpha > 0) {
            throw LoRAError.invalidValue(file: "", key: CodingKeys.alpha.rawValue, value: "\(alpha)",
                                         reason: "must be a finite number > 0")
        }
        if let negative = layersToTransform?.first(where: { $0 < 0 }) {
            throw LoRAError.invalidValue(file: "", key: CodingKeys.layersToTransform.rawValue, value: "\(negative)",
                                         reason: "layer indices must be ≥ 0")
        }
        if !(dropout >= 0 && dropout < 1) {
            throw LoRAError.invalidValue(file: "", key: CodingKeys.dropout.rawValue, value: "\(dropout)",
                                         reason: "must be in [0, 1)")
        }
        if case let .pattern(pattern) = targetModules, (try? NSRegularExpression(pattern: pattern)) == nil {
            throw LoRAError.invalidValue(file: "", key: CodingKeys.targetModules.rawValue, value: "\"\(pattern)\"",
                                         reason: "not a valid regular expression")
        }
    }

    enum CodingKeys: String, CodingKey {
        case rank = "r", alpha = "lora_alpha", dropout = "lora_dropout", targetModules = "target_modules"
        case useRSLoRA = "use_rslora", useDoRA = "use_dora", initialization = "init_lora_weights"
        case layersToTransform = "layers_to_transform", baseModelNameOrPath = "base_model_name_or_path"
        case taskType = "task_type", inferenceMode = "inference_mode", revision
        // Written with their only supported value; anything else is rejected when reading.
        case peftType = "peft_type", bias, fanInFanOut = "fan_in_fan_out", modulesToSave = "modules_to_save"
        case loraBias = "lora_bias", rankPattern = "rank_pattern", alphaPattern = "alpha_pattern"
        case layersPattern = "layers_pattern", excludeModules = "exclude_modules"
        // Rejected unless absent, null or their neutral value; never written.
        case layerReplication = "layer_replication", useQALoRA = "use_qalora", targetParameters = "target_parameters"
        case trainableTokenIndices = "trainable_token_indices"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        /// Fails unless `key` is absent or `accepts` its value.
        func require(_ key: CodingKeys, supported: String, _ accepts: (JSONValue) -> Bool) throws {
            guard let value = try c.decodeIfPresent(JSONValue.self, forKey: key), !accepts(value) else { return }
            throw LoRAError.unsupportedValue(file: "", key: key.rawValue, value: value.description, supported: supported)
        }
        try require(.peftType, supported: "\"LORA\"") { $0 == .string("LORA") }
        try require(.bias, supported: "\"none\"") { $0 == .string("none") || $0 == .null }
        try require(.fanInFanOut, supported: "false") { $0 == .bool(false) || $0 == .null }
        try require(.loraBias, supported: "false") { $0 == .bool(false) || $0 == .null }
        try require(.useQALoRA, supported: "false") { $0 == .bool(false) || $0 == .null }
        for key in [CodingKeys.modulesToSave, .excludeModules, .layerReplication, .targetParameters, .trainableTokenIndices] {
            try require(key, supported: "null") { $0.isEmpty }
        }
        for key in [CodingKeys.rankPattern, .alphaPattern] { try require(key, supported: "{}") { $0.isEmpty } }
        try require(.layersPattern, supported: "null, \"layers\"") {
            $0.isEmpty || $0 == .string("layers") || $0 == .array([.string("layers")])
        }

        let d = LoRAConfiguration()
        rank = try c.decodeIfPresent(Int.self, forKey: .rank) ?? d.rank
        alpha = try c.decodeIfPresent(Double.self, forKey: .alpha) ?? d.alpha
        dropout = try c.decodeIfPresent(Double.self, forKey: .dropout) ?? d.dropout
        targetModules = try c.decodeIfPresent(TargetModules.self, forKey: .targetModules) ?? d.targetModules
        useRSLoRA = try c.decodeIfPresent(Bool.self, forKey: .useRSLoRA) ?? d.useRSLoRA
        useDoRA = try c.decodeIfPresent(Bool.self, forKey: .useDoRA) ?? d.useDoRA
        initialization = try c.decodeIfPresent(Initialization.self, forKey: .initialization) ?? d.initialization
        if let one = try? c.decodeIfPresent(Int.self, forKey: .layersToTransform) {
            layersToTransform = [one]
        } else {
            layersToTransform = try c.decodeIfPresent([Int].self, forKey: .layersToTransform)
        }
        baseModelNameOrPath = try c.decodeIfPresent(String.self, forKey: .baseModelNameOrPath)
        taskType = try c.decodeIfPresent(String.self, forKey: .taskType)
        inferenceMode = try c.decodeIfPresent(Bool.self, forKey: .inferenceMode) ?? d.inferenceMode
        revision = try c.decodeIfPresent(String.self, forKey: .revision)
        try validate()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("LORA", forKey: .peftType)
        try c.encode(taskType, forKey: .taskType)
        try c.encode(rank, forKey: .rank)
        // PEFT types lora_alpha as int; keep integral values integral so the file reads as PEFT's own.
        if alpha == alpha.rounded(), Swift.abs(alpha) < 1e15 {
            try c.encode(Int(alpha), forKey: .alpha)
        } else {
            try c.encode(alpha, forKey: .alpha)
        }
        try c.encode(dropout, forKey: .dropout)
        try c.encode(targetModules, forKey: .targetModules)
        try c.encode(useRSLoRA, forKey: .useRSLoRA)
        try c.encode(useDoRA, forKey: .useDoRA)
        try c.encode(initialization, forKey: .initialization)
        try c.encode(layersToTransform, forKey: .layersToTransform)
        try c.encode(baseModelNameOrPath, forKey: .baseModelNameOrPath)
        try c.encode(inferenceMode, forKey: .inferenceMode)
        try c.encode(revision, forKey: .revision)
        try c.encode("none", forKey: .bias)
        try c.encode(false, forKey: .fanInFanOut)
        try c.encode(false, forKey: .loraBias)
        try c.encodeNil(forKey: .modulesToSave)
        try c.encodeNil(forKey: .excludeModules)
        try c.encodeNil(forKey: .layersPattern)
        try c.encode([String: Int](), forKey: .rankPattern)
        try c.encode([String: Double](), forKey: .alphaPattern)
    }
}
