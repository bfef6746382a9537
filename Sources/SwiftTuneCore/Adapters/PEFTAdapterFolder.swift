import Foundation

/// A PEFT adapter folder, as `PeftModel.save_pretrained` writes it and `PeftModel.from_pretrained` reads it:
///
/// - `adapter_config.json`: the ``LoRAConfiguration``;
/// - `adapter_model.safetensors`: per adapted module `base_model.model.<module>.lora_A.weight` `[r, in]`,
///   `….lora_B.weight` `[out, r]` and, for DoRA, `….lora_magnitude_vector` `[out]` (PEFT's key, without
///   `.weight`; older files with `.weight` are read too), with metadata `{"format": "pt"}`.
///
/// The folder is written as one ``FolderTransaction`` that owns these two files: a reader finds the complete old
/// adapter or the complete new one, never the new configuration beside the old weights; other entries of the
/// folder (a training run's `logging.jsonl` and checkpoints) are kept.
///
/// ```swift
/// try model.saveLoRAAdapter(configuration, to: folder)
/// let fresh = try CausalLanguageModel<Float>.load(from: baseFolder)
/// try fresh.loadLoRAAdapter(from: folder)
/// ```
public enum PEFTAdapterFolder {
    public static let configurationFileName = "adapter_config.json"
    public static let weightsFileName = "adapter_model.safetensors"
    /// The files an adapter owns in its folder (replaced together by a save; `adapter_model.bin` is PEFT's older
    /// pickle format, dropped so that it cannot shadow the new weights).
    public static let ownedFileNames: Set<String> = [configurationFileName, weightsFileName, "adapter_model.bin"]

    /// Reads and validates `adapter_config.json` in `folder`.
    /// - Throws: ``LoRAError`` naming the file and the key (missing file, bad JSON, unsupported or invalid value).
    public static func readConfiguration(in folder: URL) throws -> LoRAConfiguration {
        FolderTransaction.recover(folder)   // a folder swap killed half-way
        let url = folder.appendingPathComponent(configurationFileName)
        guard let data = FileManager.default.contents(atPath: url.path) else { throw LoRAError.missingFile(url.path) }
        do {
            return try JSONDecoder().decode(LoRAConfiguration.self, from: data)
        } catch let error as LoRAError {
            throw error.attributed(to: url.path)
        } catch {
            throw LoRAError.invalidConfiguration(file: url.path, reason: ModelLoadingError.describe(error))
        }
    }

    /// Writes `configuration` and the adapters' A, B (and m) to `folder` (created if needed), in the adapters'
    /// element type.
    public static func write<Scalar: TensorScalar>(_ configuration: LoRAConfiguration, adapters: [LoRALinear<Scalar>],
                                                   to folder: URL) throws {
        for adapter in adapters {
            precondition(adapter.rank == configuration.rank && (adapter.variant == .dora) == configuration.useDoRA,
                         "\(adapter.path): rank \(adapter.rank), \(adapter.variant) does not match the configuration (r \(configuration.rank), use_dora \(configuration.useDoRA))")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = Array(try encoder.encode(configuration)) + Array("\n".utf8)
        let entries = adapters.flatMap(\.adapterParameters).map { SafetensorsWriter.Entry(name: $0.path, tensor: $0.value) }
        try FolderTransaction.write(to: folder, keeping: .everythingExcept(ownedFileNames)) { staging in
            try AtomicFileWriter.write(to: staging.appendingPathComponent(configurationFileName)) { try $0.write(json) }
            try SafetensorsWriter.write(entries, metadata: ["format": "pt"], to: staging.appendingPathComponent(weightsFileName))
        }
    }

    /// The keys under which `parameter` may be stored (DoRA's magnitude: with or without `.weight`).
    static func candidateKeys<Scalar>(_ parameter: Parameter<Scalar>) -> [String] {
        parameter.path.hasSuffix(".lora_magnitude_vector") ? [parameter.path, parameter.path + ".weight"] : [parameter.path]
    }
}

extension CausalLanguageModel {
    /// Saves the model's adapters and `configuration` as a PEFT adapter folder (see ``PEFTAdapterFolder``).
    public func saveLoRAAdapter(_ configuration: LoRAConfiguration, to folder: URL) throws {
        try PEFTAdapterFolder.write(configuration, adapters: loraAdapters, to: folder)
    }

    /// Applies the configuration of a PEFT adapter folder to this model and loads the adapters' weights.
    ///
    /// Every key and shape is checked before the model is changed. A PiSSA adapter is loaded as saved: the base
    /// weights are not decomposed again (PEFT's advice is to convert PiSSA adapters to plain LoRA before sharing).
    ///
    /// - Parameters:
    ///   - folder: a folder holding `adapter_config.json` and `adapter_model.safetensors`.
    ///   - trainable: `false` (PEFT's `is_trainable=False`): the adapters are frozen and dropout is off;
    ///     `true`: A, B (and m) train, dropout is on.
    /// - Returns: the adapters, in ``applyLoRA(_:seed:)`` order.
    /// - Throws: ``LoRAError`` naming the file and key: missing files, an invalid or unsupported configuration, a
    ///   configuration that targets nothing, a missing tensor, a shape mismatch, a tensor no adapter uses; or a
    ///   ``SafetensorsError`` for a malformed weights file.
    @discardableResult
    public func loadLoRAAdapter(from folder: URL, trainable: Bool = false) throws -> [LoRALinear<Scalar>] {
        let checked = try checkedLoRAAdapter(in: folder)
        var configuration = checked.configuration
        let file = checked.file
        // Stored values replace the initial ones, so skip PiSSA's decomposition of the base.
        if configuration.initialization == .pissa { configuration.initialization = .kaimingUniform }
        let adapters = try applyLoRA(configuration, seed: 0)
        for adapter in adapters {
            for parameter in adapter.adapterParameters {
                let key = PEFTAdapterFolder.candidateKeys(parameter).first(where: file.contains)!
                parameter.assign(try file.tensor(key, as: Scalar.self))
                parameter.isTrainable = trainable
            }
            adapter.isTraining = trainable
        }
        return adapters
    }

    /// An adapter folder read and checked against this model: its configuration, the projections it targets and
    /// its weights file, every key and shape verified (nothing is changed).
    /// - Throws: ``LoRAError`` naming the file and key, as ``loadLoRAAdapter(from:trainable:)`` documents.
    func checkedLoRAAdapter(in folder: URL) throws
        -> (configuration: LoRAConfiguration, targets: [(layer: Int, name: ProjectionName)], file: SafetensorsFile,
            weightsPath: String) {
        let configuration = try PEFTAdapterFolder.readConfiguration(in: folder)
        let configurationPath = folder.appendingPathComponent(PEFTAdapterFolder.configurationFileName).path
        let weightsURL = folder.appendingPathComponent(PEFTAdapterFolder.weightsFileName)
        guard FileManager.default.fileExists(atPath: weightsURL.path) else { throw LoRAError.missingFile(weightsURL.path) }
        let file = try SafetensorsFile(contentsOf: weightsURL)
        let targets: [(layer: Int, name: ProjectionName)]
        do {
            targets = try loraTargets(configuration)
        } catch let error as LoRAError {
            throw error.attributed(to: configurationPath)
        }

        // Check every tensor before touching the model.
        let (r, prefix) = (configuration.rank, LoRALinear<Scalar>.peftPrefix)
        var plan: [(key: String, shape: [Int])] = []
        for target in targets {
            let projection = layers[target.layer].projection(target.name)
            let module = prefix + projection.path
            plan.append((module + ".lora_A.weight", [r, projection.inputFeatures]))
            plan.append((module + ".lora_B.weight", [projection.outputFeatures, r]))
            if configuration.useDoRA {
                let key = module + ".lora_magnitude_vector"
                plan.append((file.contains(key) || !file.contains(key + ".weight") ? key : key + ".weight",
                             [projection.outputFeatures]))
            }
        }
        for (key, shape) in plan {
            guard file.contains(key) else { throw LoRAError.missingTensor(file: weightsURL.path, key: key) }
            let stored = try file.info(key)
            guard stored.shape == shape else {
                throw LoRAError.shapeMismatch(file: weightsURL.path, key: key, expected: shape, actual: stored.shape)
            }
        }
        let used = Set(plan.map(\.key))
        if let extra = file.tensorNames.first(where: { !used.contains($0) }) {
            throw LoRAError.unexpectedTensor(file: weightsURL.path, key: extra)
        }

        return (configuration, targets, file, weightsURL.path)
    }
}
