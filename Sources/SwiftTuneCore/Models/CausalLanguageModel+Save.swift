import Foundation

extension CausalLanguageModel {
    /// Writes a complete Hugging Face model folder: `config.json`, `model.safetensors` (weights in `dtype`,
    /// Hugging Face key names, no `lm_head.weight` when tied), `generation_config.json`, and the tokenizer files
    /// copied from `tokenizerSource`. The folder is written as one ``FolderTransaction``: a reader finds the complete
    /// old model or the complete new one, never a mix; other files already in the destination folder (training
    /// logs, checkpoints) are kept.
    public func save(to url: URL, dtype: SafetensorsDType = .float32, tokenizerSource: URL? = nil) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let entries = exportedWeights().map { name, tensor in SafetensorsWriter.Entry(name: name, tensor: tensor, dtype: dtype) }
        try writeFolder(to: url, config: try encoder.encode(configuration), entries: entries, tokenizerSource: tokenizerSource)
    }

    /// Writes a model folder (`config.json` as given, `generation_config.json`, `model.safetensors` with
    /// `entries`, the tokenizer files) as one ``FolderTransaction``: the files of a model
    /// (``ModelFolder/ownedFileNames``) are replaced together, other entries already in the destination (training
    /// logs, checkpoints) are kept.
    func writeFolder(to url: URL, config: Data, entries: [SafetensorsWriter.Entry], tokenizerSource: URL?) throws {
        let fm = FileManager.default
        var generation: [String: Any] = ["_from_model_config": true]
        if let bos = configuration.beginningOfSequenceTokenID { generation["bos_token_id"] = bos }
        if !configuration.endOfSequenceTokenIDs.isEmpty {
            generation["eos_token_id"] = configuration.endOfSequenceTokenIDs.count == 1
                ? configuration.endOfSequenceTokenIDs[0] as Any : configuration.endOfSequenceTokenIDs as Any
        }
        let generationJSON = try JSONSerialization.data(withJSONObject: generation, options: [.prettyPrinted, .sortedKeys])
        try FolderTransaction.write(to: url, keeping: .everythingExcept(ModelFolder.ownedFileNames)) { staging in
            try config.write(to: staging.appendingPathComponent("config.json"))
            try generationJSON.write(to: staging.appendingPathComponent("generation_config.json"))
            try SafetensorsWriter.write(entries, metadata: ["format": "pt"], to: staging.appendingPathComponent("model.safetensors"))
            if let tokenizerSource {
                for name in ModelFolder.tokenizerFileNames {
                    let source = tokenizerSource.appendingPathComponent(name)
                    if fm.fileExists(atPath: source.path) { try fm.copyItem(at: source, to: staging.appendingPathComponent(name)) }
                }
            }
        }
    }

    /// Every weight under its Hugging Face name, dense (adapters merged away only if the caller merged them;
    /// a quantized projection is written dequantized).
    public func exportedWeights() -> [(String, Tensor<Scalar>)] { exportedWeights(includingProjections: true) }

    /// The same; without the decoder projections' weights (their biases stay) when `includingProjections` is false.
    func exportedWeights(includingProjections: Bool) -> [(String, Tensor<Scalar>)] {
        var out: [(String, Tensor<Scalar>)] = [(embedTokens.path, embedTokens.denseTable.detached)]
        for (i, layer) in layers.enumerated() {
            let prefix = "model.layers.\(i)"
            out.append(("\(prefix).input_layernorm.weight", layer.inputNorm.weight.value.detached))
            out.append(("\(prefix).post_attention_layernorm.weight", layer.postAttentionNorm.weight.value.detached))
            if let q = layer.queryNorm, let k = layer.keyNorm {
                out.append(("\(prefix).self_attn.q_norm.weight", q.weight.value.detached))
                out.append(("\(prefix).self_attn.k_norm.weight", k.weight.value.detached))
            }
            for name in ProjectionName.allCases {
                let module = name == .gate || name == .up || name == .down ? "mlp" : "self_attn"
                let projection = layer.projection(name)
                if includingProjections {
                    out.append(("\(prefix).\(module).\(name.rawValue).weight", projection.denseWeight()))
                }
                if let bias = projection.bias { out.append(("\(prefix).\(module).\(name.rawValue).bias", bias.value.detached)) }
            }
        }
        out.append(("model.norm.weight", norm.weight.value.detached))
        if let lmHead { out.append(("lm_head.weight", lmHead.weight.value.detached)) }
        return out
    }
}
