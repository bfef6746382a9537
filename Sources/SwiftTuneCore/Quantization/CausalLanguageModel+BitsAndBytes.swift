import Foundation

extension CausalLanguageModel where Scalar == Float {
    /// Writes a Hugging Face model folder with the NF4 projections in bitsandbytes' serialized layout, as
    /// transformers' `save_pretrained` writes a model loaded with `BitsAndBytesConfig(load_in_4bit=True,
    /// bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=…)`; `AutoModelForCausalLM.from_pretrained(url)` loads it
    /// (with bitsandbytes installed) and so does ``CausalLanguageModel/load(from:)``, both without re-quantizing.
    ///
    /// - Every decoder projection must be an ``NF4Linear`` (call ``quantizeNF4(doubleQuantization:)`` first, after
    ///   merging any adapters); each is written as ``NF4Weight/bitsAndBytesEntries(name:dtype:)`` lists
    ///   (`<m>.weight` U8 `[ceil(n/2), 1]`, `.absmax`, `.quant_map`, `.nested_absmax`, `.nested_quant_map`,
    ///   `.quant_state.bitsandbytes__nf4`), 4 + 8/64 + 32/16384 ≈ 4.127 bits per weight with double quantization.
    /// - The embeddings, norms, biases and `lm_head` are written in `dtype`, which is also the quant states'
    ///   `dtype` and `config.json`'s `dtype`: pass the source folder's ``ModelFolder/storageDType`` to get what
    ///   transformers writes after loading that folder with its default `dtype="auto"`.
    /// - `config.json` gets ``BitsAndBytesConfiguration/nf4(doubleQuantization:computeDType:)`` as
    ///   `quantization_config` (compute dtype `float32`, what SwiftTune computes in).
    ///
    /// The folder is assembled under a temporary name and renamed into place.
    ///
    /// ```swift
    /// let model = try CausalLanguageModel<Float>.load(from: source)
    /// model.quantizeNF4()
    /// try model.saveQuantizedNF4(to: output, dtype: ModelFolder(source).storageDType, tokenizerSource: source)
    /// ```
    /// - Throws: ``BitsAndBytesError/projectionNotQuantized(path:layer:)`` for a projection that is not NF4,
    ///   ``BitsAndBytesError/mixedDoubleQuantization(path:)`` when projections disagree on double quantization,
    ///   ``BitsAndBytesError/unsupportedStorageDType(path:dtype:)`` for a `dtype` that is not floating point, or
    ///   a write error naming the file.
    public func saveQuantizedNF4(to url: URL, dtype: SafetensorsDType = .float32, tokenizerSource: URL? = nil) throws {
        guard let torchDType = dtype.torchName else {
            throw BitsAndBytesError.unsupportedStorageDType(path: url.path, dtype: dtype.rawValue)
        }
        var entries = exportedWeights(includingProjections: false).map { name, tensor in
            SafetensorsWriter.Entry(name: name, tensor: tensor, dtype: dtype)
        }
        var doubleQuantization: Bool?
        for layer in layers {
            for name in ProjectionName.allCases {
                let projection = layer.projection(name)
                guard let nf4 = projection as? NF4Linear else {
                    throw BitsAndBytesError.projectionNotQuantized(path: projection.path,
                                                                   layer: Self.describeLayer(projection))
                }
                let isDouble: Bool
                if case .doubleQuantized = nf4.weight.scales { isDouble = true } else { isDouble = false }
                if doubleQuantization == nil { doubleQuantization = isDouble }
                guard doubleQuantization == isDouble else { throw BitsAndBytesError.mixedDoubleQuantization(path: nf4.path) }
                entries += nf4.weight.bitsAndBytesEntries(name: nf4.path + ".weight", dtype: torchDType)
            }
        }
        // config.json as transformers writes it (json.dumps(indent=2, sort_keys=True)): the architecture's keys,
        // the dtype and the quantization_config with its float threshold.
        guard case let .object(keys) = try PythonJSON(parsing: JSONEncoder().encode(configuration)) else {
            preconditionFailure("ModelConfiguration encodes as a JSON object")
        }
        let quantization = BitsAndBytesConfiguration.nf4(doubleQuantization: doubleQuantization ?? true)
        let config = PythonJSON.object(keys.filter { $0.0 != "dtype" && $0.0 != "quantization_config" }
            + [("dtype", .string(torchDType)), ("quantization_config", quantization.pythonJSON)])
        try writeFolder(to: url, config: Data((config.serialized(indent: 2, sortKeys: true) + "\n").utf8),
                        entries: entries, tokenizerSource: tokenizerSource)
    }

    /// What a projection is, for an error message.
    private static func describeLayer(_ layer: any LinearLayer<Float>) -> String {
        switch layer {
        case is LoRALinear<Float>: return "a LoRA adapter (merge it into a dense base first)"
        case is Linear<Float>: return "a dense Linear"
        default: return "a \(type(of: layer))"
        }
    }
}
