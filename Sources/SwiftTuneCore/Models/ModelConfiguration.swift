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
    /// Biases on q/k/v/o projections (`attention_bias`; always on q/k/v for Qwen2).
    public var attentionBias: Bool
    /// Biases on the MLP projections (`mlp_bias`).
    public var mlpBias: Bool

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
        self.headDimension = headDimension ?? hiddenSize / attentionHeads
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
    }

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
            attentionBias: try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? (architecture == .qwen2),
            mlpBias: try c.decodeIfPresent(Bool.self, forKey: .mlpBias) ?? false)
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
    }
}
