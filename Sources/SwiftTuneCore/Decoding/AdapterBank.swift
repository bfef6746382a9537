import Foundation

/// Several PEFT LoRA adapters for one base model, loaded once and applied per row group in one pass over the shared
/// base: the serving engine's "many adapters" (llama.cpp applies one adapter set to the whole batch; this bank lets
/// rows with different adapters, and base rows, share every decode step).
///
/// For each projection an adapter targets, the bank holds its A `[r, in]`, Bᵀ `[r, out]` and s = α / r (α / √r with
/// rsLoRA). A decode step orders its rows by adapter; each projection computes the base product for all rows once
/// (fused, as without adapters) and then, per group of rows with adapter a, `y += s_a · (x · A_aᵀ) · B_aᵀ` on those
/// rows only — the same kernels, in the same order, as a ``LoRALinear`` loaded with
/// ``CausalLanguageModel/loadLoRAAdapter(from:trainable:)``, so a row's tokens are the same either way.
///
/// ```swift
/// let bank = try AdapterBank(model: base, adapters: [("sql", sqlFolder), ("chat", chatFolder)])
/// let session = try DecodingSession(model: base, maxRows: 8, maxLength: 1024, adapters: bank)
/// let row = try session.admit(DecodingRequest(prompt: ids, maxNewTokens: 64, adapter: "sql"))
/// ```
public final class AdapterBank {
    /// The adapters' names, in the order given (a name's index is its ``DecodeRowGroups/Group/adapter``).
    public let names: [String]
    /// Per decoder layer and projection: the bank's projection (base + each adapter's update), for the projections
    /// some adapter targets.
    let projections: [[ProjectionName: AdapterBankProjection]]
    /// The model the bank was built for (its projections are the bases).
    let baseModel: ObjectIdentifier

    /// Loads every adapter folder and checks it against `model` before keeping any.
    ///
    /// - Parameters:
    ///   - model: the base model; its projections must not be adapters themselves.
    ///   - adapters: a name (unique, non-empty) and a PEFT adapter folder (`adapter_config.json`,
    ///     `adapter_model.safetensors`) for each adapter.
    /// - Throws: ``LoRAError`` naming the folder's file and the key or tensor that does not fit the base (missing
    ///   files, an invalid configuration, targets the model lacks, a missing or mis-shaped tensor, a tensor no
    ///   target uses, DoRA, which the bank does not apply); ``DecodingSessionError/invalidSetting(name:value:requirement:)``
    ///   for an empty or repeated name.
    public init(model: CausalLanguageModel<Float>, adapters: [(name: String, folder: URL)]) throws {
        var seen = Set<String>()
        for (name, _) in adapters {
            guard !name.isEmpty else {
                throw DecodingSessionError.invalidSetting(name: "adapter name", value: "\"\"", requirement: "must not be empty")
            }
            guard seen.insert(name).inserted else {
                throw DecodingSessionError.invalidSetting(name: "adapter name", value: "\"\(name)\"", requirement: "must be unique")
            }
        }
        var updates = [[ProjectionName: [Int: LowRankUpdate]]](repeating: [:], count: model.layers.count)
        for (index, adapter) in adapters.enumerated() {
            let checked = try model.checkedLoRAAdapter(in: adapter.folder)
            let configurationPath = adapter.folder.appendingPathComponent(PEFTAdapterFolder.configurationFileName).path
            if checked.configuration.useDoRA {
                throw LoRAError.unsupportedValue(file: configurationPath, key: "use_dora", value: "true",
                                                 supported: "false (the adapter bank applies plain LoRA; merge a DoRA adapter instead)")
            }
            let scale = Float(checked.configuration.scale)
            for target in checked.targets {
                let module = LoRALinear<Float>.peftPrefix + model.layers[target.layer].projection(target.name).path
                let a = try checked.file.tensor(module + ".lora_A.weight", as: Float.self)
                let b = try checked.file.tensor(module + ".lora_B.weight", as: Float.self)
                updates[target.layer][target.name, default: [:]][index] = LowRankUpdate(a: a, b: b, scale: scale)
            }
        }
        var projections = [[ProjectionName: AdapterBankProjection]](repeating: [:], count: model.layers.count)
        for (layer, byName) in updates.enumerated() {
            for (name, perAdapter) in byName {
                let base = model.layers[layer].projection(name)
                guard let decodable = base as? any DecodeProjection, decodable.decodeUnsupportedReason == nil else {
                    throw DecodingSessionError.unsupportedProjection(
                        path: base.path, reason: (base as? any DecodeProjection)?.decodeUnsupportedReason
                            ?? "\(type(of: base)) has no decode path")
                }
                projections[layer][name] = AdapterBankProjection(base: decodable, updates: perAdapter)
            }
        }
        names = adapters.map(\.name)
        self.projections = projections
        baseModel = ObjectIdentifier(model)
    }

    /// The index of adapter `name` in ``names``.
    func index(of name: String) -> Int? { names.firstIndex(of: name) }
}
