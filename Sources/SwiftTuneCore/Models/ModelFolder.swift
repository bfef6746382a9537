import Foundation

/// A Hugging Face model folder: `config.json`, weights in `model.safetensors` or shards listed by
/// `model.safetensors.index.json`, and optionally `generation_config.json` and tokenizer files.
public struct ModelFolder {
    public let url: URL
    public let configuration: ModelConfiguration
    /// The dtype the weights are stored in (of the embedding table), e.g. `"BF16"`; export writes it back.
    public let storageDType: SafetensorsDType
    /// `config.json`'s `quantization_config` when the folder holds bitsandbytes NF4 weights (written by
    /// transformers' `save_pretrained` or ``CausalLanguageModel/saveQuantizedNF4(to:dtype:tokenizerSource:)``);
    /// its projections load as ``NF4Linear`` layers, as stored. `nil` for a dense folder.
    public let quantization: BitsAndBytesConfiguration?

    let store: WeightStore

    /// Opens a folder and validates its configuration (weights are memory-mapped lazily when a model is built).
    public init(_ url: URL) throws {
        FolderTransaction.recover(url)   // a folder swap killed half-way (see FolderTransaction)
        self.url = url
        let configURL = url.appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: configURL.path) else {
            throw ModelLoadingError.missingFile(configURL.path)
        }
        var configuration = try ModelConfiguration.decode(data, file: configURL.path)
        let generationURL = url.appendingPathComponent("generation_config.json")
        if let data = FileManager.default.contents(atPath: generationURL.path) {
            do {
                let generation = try JSONDecoder().decode(GenerationConfiguration.self, from: data)
                if let eos = generation.eosTokenID?.values, !eos.isEmpty { configuration.endOfSequenceTokenIDs = eos }
                if let bos = generation.bosTokenID { configuration.beginningOfSequenceTokenID = bos }
            } catch {
                throw ModelLoadingError.invalidConfiguration(file: generationURL.path, reason: ModelLoadingError.describe(error))
            }
        }
        self.configuration = configuration
        do {
            quantization = try JSONDecoder().decode(QuantizationField.self, from: data).quantizationConfig
        } catch {
            throw ModelLoadingError.invalidConfiguration(file: configURL.path, reason: ModelLoadingError.describe(error))
        }
        if let reason = quantization?.unsupportedReason {
            throw BitsAndBytesError.unsupportedQuantization(file: configURL.path, reason: "quantization_config: " + reason)
        }
        let single = url.appendingPathComponent("model.safetensors")
        let index = url.appendingPathComponent("model.safetensors.index.json")
        if FileManager.default.fileExists(atPath: single.path) {
            store = .single(try SafetensorsFile(contentsOf: single))
        } else if FileManager.default.fileExists(atPath: index.path) {
            store = .sharded(try SafetensorsIndex(contentsOf: index))
        } else {
            throw ModelLoadingError.missingFile(single.path)
        }
        storageDType = (try? store.info("model.embed_tokens.weight").dtype) ?? .float32
    }

    /// Builds the model with the folder's weights converted to `Scalar`. Afterwards the checkpoint's pages are
    /// handed back to the kernel (they no longer count in resident memory; tensors that still read them fault them
    /// back in from the page cache).
    public func load<Scalar: TensorScalar>(_ type: Scalar.Type = Float.self) throws -> CausalLanguageModel<Scalar> {
        let weights = CheckpointWeights(store: store)
        let model = try CausalLanguageModel<Scalar>(configuration: configuration, weights: weights)
        try weights.checkNoUnusedTensors(configuration: configuration)
        store.releaseResidentPages()
        return model
    }

    /// Builds a float32 model and, when `quantizingProjectionsToNF4`, quantizes each decoder layer's projections
    /// as soon as that layer is read (what ``CausalLanguageModel/quantizeNF4(doubleQuantization:)`` does after the
    /// fact), so that loading a model for QLoRA never holds more than one layer's float32 projections: on
    /// SmolLM-135M the load's peak drops by the 430 MB of float32 projection weights.
    public func load(_ type: Float.Type = Float.self, quantizingProjectionsToNF4: Bool) throws -> CausalLanguageModel<Float> {
        guard quantizingProjectionsToNF4 else { return try load(Float.self) }
        let weights = CheckpointWeights(store: store)
        try weights.checkNoUnusedTensors(configuration: configuration, beforeReading: true)
        let model = try CausalLanguageModel<Float>(configuration: configuration, weights: weights) {
            _ = CausalLanguageModel<Float>.quantizeProjections(of: $0, doubleQuantization: true)
            store.releaseResidentPages()   // this layer's checkpoint bytes are read and quantized
        }
        BufferCache.drain()   // freed float32 projections: sizes nothing asks for again
        store.releaseResidentPages()
        return model
    }

    struct QuantizationField: Decodable {
        var quantizationConfig: BitsAndBytesConfiguration?
        enum CodingKeys: String, CodingKey { case quantizationConfig = "quantization_config" }
    }

    struct GenerationConfiguration: Decodable {
        var eosTokenID: ModelConfiguration.OneOrMany?
        var bosTokenID: Int?
        enum CodingKeys: String, CodingKey { case eosTokenID = "eos_token_id", bosTokenID = "bos_token_id" }
    }
}

/// One safetensors file or a sharded set.
enum WeightStore {
    case single(SafetensorsFile)
    case sharded(SafetensorsIndex)

    var path: String {
        switch self {
        case let .single(file): return file.url.path
        case let .sharded(index): return index.url.path
        }
    }

    var tensorNames: [String] {
        switch self {
        case let .single(file): return file.tensorNames
        case let .sharded(index): return index.tensorNames
        }
    }

    func contains(_ name: String) -> Bool {
        switch self {
        case let .single(file): return file.contains(name)
        case let .sharded(index): return index.weightMap[name] != nil
        }
    }

    func info(_ name: String) throws -> SafetensorsTensorInfo {
        switch self {
        case let .single(file): return try file.info(name)
        case let .sharded(index): return try index.info(name)
        }
    }

    func tensor<S: TensorElement>(_ name: String, as type: S.Type) throws -> Tensor<S> {
        switch self {
        case let .single(file): return try file.tensor(name, as: type)
        case let .sharded(index): return try index.tensor(name, as: type)
        }
    }

    func releaseResidentPages() {
        switch self {
        case let .single(file): file.mapping.releaseResidentPages()
        case let .sharded(index): index.releaseResidentPages()
        }
    }

    func storedBytes(_ name: String) throws -> [UInt8] {
        switch self {
        case let .single(file): return try file.storedBytes(name)
        case let .sharded(index): return try index.storedBytes(name)
        }
    }
}

/// Weights read from a checkpoint, with names and shapes checked against the architecture.
final class CheckpointWeights: WeightSource {
    let store: WeightStore
    /// The tensors the model read, and the projection paths read NF4-quantized (their companion tensors
    /// `<path>.absmax`, `<path>.quant_map`, … belong to them).
    private(set) var used: Set<String> = []
    private(set) var quantizedPaths: Set<String> = []

    init(store: WeightStore) { self.store = store }

    func weight<S: TensorScalar>(_ path: String, shape: [Int], role: WeightRole, as type: S.Type) throws -> Tensor<S> {
        used.insert(path)
        guard store.contains(path) else { throw ModelLoadingError.missingTensor(file: store.path, name: path) }
        let info = try store.info(path)
        guard info.shape == shape else {
            throw ModelLoadingError.shapeMismatch(file: store.path, name: path, expected: shape, actual: info.shape)
        }
        guard info.dtype.isConvertibleFloatingPoint else {
            throw ModelLoadingError.unsupportedDType(file: store.path, name: path, dtype: info.dtype.rawValue)
        }
        return try store.tensor(path, as: type)
    }

    func quantizedWeight<S: TensorScalar>(_ path: String, shape: [Int], as type: S.Type) throws -> NF4Weight? {
        let stateKeys = [NF4Weight.BitsAndBytesKey.quantStateNF4, NF4Weight.BitsAndBytesKey.quantStateFP4]
        guard stateKeys.contains(where: { store.contains(path + $0) }) else { return nil }
        used.insert(path)
        quantizedPaths.insert(path)
        guard S.self == Float.self else {
            throw BitsAndBytesError.quantizedWeightNeedsFloat(file: store.path, tensor: path, scalar: "\(S.self)")
        }
        return try NF4Weight.readBitsAndBytes(name: path, shape: shape, from: store)
    }

    /// Throws ``ModelLoadingError/unexpectedTensors(file:names:count:reason:)`` when the checkpoint holds tensors the
    /// configuration has no place for (layers beyond `num_hidden_layers`, a module the architecture lacks), which
    /// would otherwise be ignored silently. Tolerated, as transformers ignores them: `rotary_emb.inv_freq` buffers
    /// and `lm_head.weight` beside tied embeddings. With `beforeReading`, the expected names are computed from the
    /// configuration (for loads that quantize while reading) instead of from what was read.
    func checkNoUnusedTensors(configuration c: ModelConfiguration, beforeReading: Bool = false) throws {
        let expected = beforeReading ? Set(Self.expectedNames(c)) : used
        let unused = store.tensorNames.filter { name in
            if expected.contains(name) || name.hasSuffix("rotary_emb.inv_freq") { return false }
            if name == "lm_head.weight" && c.tieWordEmbeddings { return false }
            // A quantized projection's companions: `<path>.absmax`, `<path>.quant_state.bitsandbytes__nf4`, …
            if let dot = name.range(of: ".weight.", options: .backwards) {
                let owner = String(name[..<dot.lowerBound]) + ".weight"
                if beforeReading ? expected.contains(owner) : quantizedPaths.contains(owner) { return false }
            }
            return true
        }
        guard !unused.isEmpty else { return }
        let layerIndices = unused.compactMap { name -> Int? in
            guard name.hasPrefix("model.layers.") else { return nil }
            return Int(name.dropFirst("model.layers.".count).prefix { $0.isNumber })
        }
        let reason: String
        if let highest = layerIndices.max(), highest >= c.layerCount {
            reason = "config.json says num_hidden_layers = \(c.layerCount), but the weights have layers up to \(highest)"
        } else {
            reason = "the configuration (\(c.architecture.rawValue)) has no such parameters"
        }
        throw ModelLoadingError.unexpectedTensors(file: store.path, names: Array(unused.prefix(5)), count: unused.count,
                                                  reason: reason)
    }

    /// Every dense parameter path a model of configuration `c` reads.
    static func expectedNames(_ c: ModelConfiguration) -> [String] {
        var names = ["model.embed_tokens.weight", "model.norm.weight"]
        if !c.tieWordEmbeddings { names.append("lm_head.weight") }
        let qkvBias = c.attentionBias || c.architecture == .qwen2
        for i in 0..<max(0, c.layerCount) {
            let p = "model.layers.\(i)"
            names += ["\(p).input_layernorm.weight", "\(p).post_attention_layernorm.weight"]
            if c.architecture == .qwen3 { names += ["\(p).self_attn.q_norm.weight", "\(p).self_attn.k_norm.weight"] }
            for name in ProjectionName.allCases {
                let module = name == .gate || name == .up || name == .down ? "mlp" : "self_attn"
                names.append("\(p).\(module).\(name.rawValue).weight")
                let bias = module == "mlp" ? c.mlpBias : (name == .output ? c.attentionBias : qkvBias)
                if bias { names.append("\(p).\(module).\(name.rawValue).bias") }
            }
        }
        return names
    }
}

extension CausalLanguageModel {
    /// Loads a Hugging Face model folder (Llama / Qwen2 / Qwen3 / Mistral; F32, F16 or BF16 weights, sharded or not).
    public static func load(from url: URL) throws -> CausalLanguageModel {
        try ModelFolder(url).load(Scalar.self)
    }
}
