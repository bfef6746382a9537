import Foundation

extension CausalLanguageModel {
    /// Writes a complete Hugging Face model folder: `config.json`, `model.safetensors` (weights in `dtype`,
    /// Hugging Face key names, no `lm_head.weight` when tied), `generation_config.json`, and the tokenizer files
    /// copied from `tokenizerSource`. The files are assembled in a temporary folder and renamed into place (other files already in the
    /// destination folder, such as training logs, are kept).
    public func save(to url: URL, dtype: SafetensorsDType = .float32, tokenizerSource: URL? = nil) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let entries = exportedWeights().map { name, tensor in SafetensorsWriter.Entry(name: name, tensor: tensor, dtype: dtype) }
        try writeFolder(to: url, config: try encoder.encode(configuration), entries: entries, tokenizerSource: tokenizerSource)
    }

    /// Assembles a model folder in a temporary sibling (`config.json` as given, `generation_config.json`,
    /// `model.safetensors` with `entries`, the tokenizer files) and renames it into place, keeping other files
    /// already in the destination.
    func writeFolder(to url: URL, config: Data, entries: [SafetensorsWriter.Entry], tokenizerSource: URL?) throws {
        let fm = FileManager.default
        let partial = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        try? fm.removeItem(at: partial)
        try fm.createDirectory(at: partial, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: partial) }
        try config.write(to: partial.appendingPathComponent("config.json"))
        var generation: [String: Any] = ["_from_model_config": true]
        if let bos = configuration.beginningOfSequenceTokenID { generation["bos_token_id"] = bos }
        if !configuration.endOfSequenceTokenIDs.isEmpty {
            generation["eos_token_id"] = configuration.endOfSequenceTokenIDs.count == 1
                ? configuration.endOfSequenceTokenIDs[0] as Any : configuration.endOfSequenceTokenIDs as Any
        }
        try JSONSerialization.data(withJSONObject: generation, options: [.prettyPrinted, .sortedKeys])
            .write(to: partial.appendingPathComponent("generation_config.json"))
        try SafetensorsWriter.write(entries, metadata: ["format": "pt"], to: partial.appendingPathComponent("model.safetensors"))
        if let tokenizerSource {
            for name in ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt",
                         "tokenizer.model", "chat_template.jinja"] {
                let source = tokenizerSource.appendingPathComponent(name)
                if fm.fileExists(atPath: source.path) { try fm.copyItem(at: source, to: partial.appendingPathComponent(name)) }
            }
        }
        if fm.fileExists(atPath: url.path) {
            // Keep what else the folder holds (training logs, checkpoints); replace the model's files one by one,
            // each by a rename.
            for name in try fm.contentsOfDirectory(atPath: partial.path) {
                let destination = url.appendingPathComponent(name)
                if fm.fileExists(atPath: destination.path) { try fm.removeItem(at: destination) }
                try fm.moveItem(at: partial.appendingPathComponent(name), to: destination)
            }
        } else {
            try fm.moveItem(at: partial, to: url)
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
