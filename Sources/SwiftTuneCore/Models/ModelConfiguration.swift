/// The architecture hyperparameters of a Llama-family decoder, with Hugging Face `config.json` field names.
///
/// One type covers LlamaForCausalLM, Qwen2ForCausalLM (q/k/v biases) and Qwen3ForCausalLM (per-head q/k
/// RMSNorm); ``Architecture`` says which variant's layers to build.
public struct ModelConfiguration: Codable, Sendable, Equatable {
    /// The layer variants SwiftTune builds.
    public enum Architecture: String, Codable, Sendable {
        case llama = "LlamaForCausalLM"
        case qwen2 = "Qwen2ForCausalLM"
        case qwen3 = "Qwen3ForCausalLM"
        case mistral = "MistralForCausalLM"
    }

    public var architecture: Architecture
    /// Vocabulary size V.
    public var vocabularySize: Int
    /// Model width C (`hidden_size`).
    public var hiddenSize: Int
    /// MLP width (`intermediate_size`).
    public var intermediateSize: Int
    /// Decoder layers L.
    public var layerCount: Int
    /// Query heads H.
    public var attentionHeads: Int
    /// Key/value heads (H for multi-head, fewer for grouped-query attention).
    public var keyValueHeads: Int
    /// Head dimension D (`head_dim`; defaults to C / H).
    public var headDimension: Int
    /// ε of every RMSNorm (`rms_norm_eps`).
    public var rmsNormEpsilon: Double
    /// RoPE base θ (`rope_theta`).
    public var ropeTheta: Double
    /// Positions the model supports (`max_position_embeddings`).
    public var maxPositions: Int
    /// The output projection shares the embedding matrix (no `lm_head.weight` in the files).
    public var tieWordEmbeddings: Bool
    /// Biases on q/k/v/o projections (`attention_bias`). Qwen2 always has q/k/v biases (and none on o).
    public var attentionBias: Bool
    /// Biases on the MLP projections (`mlp_bias`).
    public var mlpBias: Bool
    /// RoPE frequency scaling (`rope_scaling` / `rope_parameters`).
    public var ropeScaling: RopeScaling = .none
    /// Fraction of each head's dimensions that rotate (`partial_rotary_factor`).
    public var partialRotaryFactor: Double = 1
    /// Sliding-window attention width (`sliding_window` when `use_sliding_window` is not false); `nil` = none.
    public var slidingWindow: Int?
    /// Token ids that end generation (`eos_token_id`, a number or a list).
    public var endOfSequenceTokenIDs: [Int] = []
    /// The beginning-of-sequence token id (`bos_token_id`).
    public var beginningOfSequenceTokenID: Int?

    public init(architecture: Architecture = .llama, vocabularySize: Int, hiddenSize: Int, intermediateSize: Int,
                layerCount: Int, attentionHeads: Int, keyValueHeads: Int? = nil, headDimension: Int? = nil,
                rmsNormEpsilon: Double = 1e-6, ropeTheta: Double = 10_000, maxPositions: Int = 2048,
                tieWordEmbeddings: Bool = true, attentionBias: Bool = false, mlpBias: Bool = false) {
        self.architecture = architecture
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.attentionHeads = attentionHeads
        self.keyValueHeads = keyValueHeads ?? attentionHeads
        // 0 heads leaves the head dimension 0 here, for ``validate(file:)`` to report (never a division by zero).
        self.headDimension = headDimension ?? (attentionHeads > 0 ? hiddenSize / attentionHeads : 0)
        self.rmsNormEpsilon = rmsNormEpsilon
        self.ropeTheta = ropeTheta
        self.maxPositions = maxPositions
        self.tieWordEmbeddings = tieWordEmbeddings
        self.attentionBias = attentionBias
        self.mlpBias = mlpBias
    }

    enum CodingKeys: String, CodingKey {
        case architectures
        case vocabularySize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers"
        case attentionHeads = "num_attention_heads"
        case keyValueHeads = "num_key_value_heads"
        case headDimension = "head_dim"
        case rmsNormEpsilon = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case maxPositions = "max_position_embeddings"
        case tieWordEmbeddings = "tie_word_embeddings"
        case attentionBias = "attention_bias"
        case mlpBias = "mlp_bias"
        case modelType = "model_type"
        case ropeScaling = "rope_scaling"
        case ropeParameters = "rope_parameters"
        case partialRotaryFactor = "partial_rotary_factor"
        case slidingWindow = "sliding_window"
        case useSlidingWindow = "use_sliding_window"
        case eosTokenID = "eos_token_id"
        case bosTokenID = "bos_token_id"
        case hiddenActivation = "hidden_act"
    }

    /// The `hidden_act` values of the MLP SwiftTune computes (SiLU-gated; `swish` is PyTorch's other name for it).
    static let supportedActivations = ["silu", "swish"]

    /// The keys of a `rope_scaling` / `rope_parameters` object.
    struct RopeKeys: Codable {
        var ropeType: String?
        var type: String?
        var factor: Double?
        var lowFreqFactor: Double?
        var highFreqFactor: Double?
        var originalMaxPositionEmbeddings: Int?
        var ropeTheta: Double?
        var partialRotaryFactor: Double?

        enum CodingKeys: String, CodingKey {
            case ropeType = "rope_type", type, factor, lowFreqFactor = "low_freq_factor"
            case highFreqFactor = "high_freq_factor", originalMaxPositionEmbeddings = "original_max_position_embeddings"
            case ropeTheta = "rope_theta", partialRotaryFactor = "partial_rotary_factor"
        }
    }

    /// Either one integer or a list of integers (`eos_token_id`).
    struct OneOrMany: Codable {
        var values: [Int]
        init(values: [Int]) { self.values = values }
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let one = try? c.decode(Int.self) { values = [one] } else { values = try c.decode([Int].self) }
        }
        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            if values.count == 1 { try c.encode(values[0]) } else { try c.encode(values) }
        }
    }

    /// Decodes a Hugging Face `config.json` and validates it (``validate(file:)``).
    /// - Throws: `DecodingError` for missing or mistyped fields, an unsupported architecture or RoPE scaling type;
    ///   ``ModelConfigurationError`` (naming `config.json` and the field) for values out of range.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let names = try c.decode([String].self, forKey: .architectures)
        guard let name = names.first, let architecture = Architecture(rawValue: name) else {
            throw DecodingError.dataCorruptedError(forKey: .architectures, in: c,
                debugDescription: "unsupported architecture \(names); supported: LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, MistralForCausalLM")
        }
        let heads = try c.decode(Int.self, forKey: .attentionHeads)
        let hidden = try c.decode(Int.self, forKey: .hiddenSize)
        self.init(
            architecture: architecture,
            vocabularySize: try c.decode(Int.self, forKey: .vocabularySize),
            hiddenSize: hidden,
            intermediateSize: try c.decode(Int.self, forKey: .intermediateSize),
            layerCount: try c.decode(Int.self, forKey: .layerCount),
            attentionHeads: heads,
            keyValueHeads: try c.decodeIfPresent(Int.self, forKey: .keyValueHeads),
            headDimension: try c.decodeIfPresent(Int.self, forKey: .headDimension),
            rmsNormEpsilon: try c.decodeIfPresent(Double.self, forKey: .rmsNormEpsilon) ?? 1e-6,
            ropeTheta: try c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? 10_000,
            maxPositions: try c.decodeIfPresent(Int.self, forKey: .maxPositions) ?? 2048,
            tieWordEmbeddings: try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false,
            attentionBias: try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false,
            mlpBias: try c.decodeIfPresent(Bool.self, forKey: .mlpBias) ?? false)
        let rope = try c.decodeIfPresent(RopeKeys.self, forKey: .ropeParameters)
            ?? c.decodeIfPresent(RopeKeys.self, forKey: .ropeScaling)
        if let theta = rope?.ropeTheta, !c.contains(.ropeTheta) { ropeTheta = theta }
        partialRotaryFactor = try c.decodeIfPresent(Double.self, forKey: .partialRotaryFactor)
            ?? rope?.partialRotaryFactor ?? 1
        if let rope {
            let kind = rope.ropeType ?? rope.type ?? "default"
            func require<T>(_ value: T?, _ key: String) throws -> T {
                guard let value else {
                    throw DecodingError.dataCorruptedError(forKey: .ropeScaling, in: c,
                        debugDescription: "rope scaling '\(kind)' needs '\(key)'")
                }
                return value
            }
            switch kind {
            case "default": ropeScaling = .none
            case "linear": ropeScaling = .linear(factor: try require(rope.factor, "factor"))
            case "llama3":
                ropeScaling = .llama3(factor: try require(rope.factor, "factor"),
                                      lowFrequencyFactor: try require(rope.lowFreqFactor, "low_freq_factor"),
                                      highFrequencyFactor: try require(rope.highFreqFactor, "high_freq_factor"),
                                      originalMaxPositions: try require(rope.originalMaxPositionEmbeddings,
                                                                        "original_max_position_embeddings"))
            default:
                throw DecodingError.dataCorruptedError(forKey: .ropeScaling, in: c,
                    debugDescription: "unsupported rope scaling type '\(kind)' (supported: default, linear, llama3)")
            }
        }
        if try c.decodeIfPresent(Bool.self, forKey: .useSlidingWindow) != false {
            slidingWindow = try c.decodeIfPresent(Int.self, forKey: .slidingWindow)
        }
        endOfSequenceTokenIDs = try c.decodeIfPresent(OneOrMany.self, forKey: .eosTokenID)?.values ?? []
        beginningOfSequenceTokenID = try c.decodeIfPresent(Int.self, forKey: .bosTokenID)
        // Every supported architecture gates its MLP with SiLU; another activation would be computed wrongly, silently.
        if let activation = try c.decodeIfPresent(String.self, forKey: .hiddenActivation),
           !Self.supportedActivations.contains(activation) {
            throw ModelConfigurationError.invalidValue(file: "config.json", field: "hidden_act", value: "\"\(activation)\"",
                                                       requirement: "SwiftTune computes silu (swish) only")
        }
        try validate(file: "config.json", headDimensionGiven: try c.decodeIfPresent(Int.self, forKey: .headDimension) != nil)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode([architecture.rawValue], forKey: .architectures)
        let modelType: String
        switch architecture {
        case .llama: modelType = "llama"
        case .qwen2: modelType = "qwen2"
        case .qwen3: modelType = "qwen3"
        case .mistral: modelType = "mistral"
        }
        try c.encode(modelType, forKey: .modelType)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(layerCount, forKey: .layerCount)
        try c.encode(attentionHeads, forKey: .attentionHeads)
        try c.encode(keyValueHeads, forKey: .keyValueHeads)
        try c.encode(headDimension, forKey: .headDimension)
        try c.encode(rmsNormEpsilon, forKey: .rmsNormEpsilon)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encode(maxPositions, forKey: .maxPositions)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encode(attentionBias, forKey: .attentionBias)
        try c.encode(mlpBias, forKey: .mlpBias)
        switch ropeScaling {
        case .none: break
        case let .linear(factor):
            try c.encode(RopeKeys(ropeType: "linear", factor: factor), forKey: .ropeScaling)
        case let .llama3(factor, low, high, original):
            try c.encode(RopeKeys(ropeType: "llama3", factor: factor, lowFreqFactor: low, highFreqFactor: high,
                                  originalMaxPositionEmbeddings: original), forKey: .ropeScaling)
        }
        if partialRotaryFactor != 1 { try c.encode(partialRotaryFactor, forKey: .partialRotaryFactor) }
        if let slidingWindow {
            try c.encode(slidingWindow, forKey: .slidingWindow)
            try c.encode(true, forKey: .useSlidingWindow)
        }
        if !endOfSequenceTokenIDs.isEmpty { try c.encode(OneOrMany(values: endOfSequenceTokenIDs), forKey: .eosTokenID) }
        try c.encodeIfPresent(beginningOfSequenceTokenID, forKey: .bosTokenID)
    }
}
