import Foundation
import SwiftTuneCore

/// Attaching tuners, adapters and quantization to a loaded model, and saving what a run produced.
enum ModelTransforms {
    enum Tuner {
        case full
        case adapter(LoRAConfiguration)
    }

    /// For `infer` / `eval` / `export`: `--quantize nf4` (the frozen base), then `--adapters DIR` (PEFT folder).
    static func apply(to model: CausalLanguageModel<Float>, adapters: URL?, quantize: String?) throws {
        if quantize == "nf4" { model.quantizeNF4() }
        if let adapters { try model.loadLoRAAdapter(from: adapters, trainable: false) }
        if model.hasNF4Projections {   // inference only: nothing trains the table
            model.embedTokens.weight?.isTrainable = false
            compactEmbeddings(model)
        }
    }

    /// QLoRA: the frozen embedding table in bf16 when the checkpoint stored it so (lossless), as bitsandbytes keeps it.
    static func compactEmbeddings(_ model: CausalLanguageModel<Float>) {
        guard model.hasNF4Projections else { return }
        model.storeFrozenEmbeddingsInBFloat16(onlyIfExact: true)
    }

    /// For `pt` / `sft`: make the right parameters trainable.
    static func attachTuner(to model: CausalLanguageModel<Float>, options: TrainOptions, seed: UInt64) throws -> Tuner {
        if options.isFull {
            guard options.adapter == nil else { throw CommandError("--adapters continues an adapter run; it needs --tuner lora or dora") }
            guard !model.hasNF4Projections else {
                throw CommandError("\(options.model) holds NF4-quantized projections, which full fine-tuning cannot update; "
                                   + "use --tuner lora or dora (QLoRA), or train a dense copy (swifttune export without --quantize)")
            }
            model.parameters.forEach { $0.isTrainable = true }
            return .full
        }
        if options.quantize == "nf4" { model.quantizeNF4() }
        if let adapters = options.adapter {
            let url = URL(fileURLWithPath: adapters)
            let configuration = try PEFTAdapterFolder.readConfiguration(in: url)
            try model.loadLoRAAdapter(from: url, trainable: true)
            compactEmbeddings(model)
            return .adapter(configuration)
        }
        let configuration = options.loraConfiguration
        try checkRank(configuration, model: model)
        try model.applyLoRA(configuration, seed: seed)
        compactEmbeddings(model)
        return .adapter(configuration)
    }

    /// `--lora-rank` at most `min(in, out)` of every projection the adapter targets (a larger rank adds no capacity
    /// and only costs time and disk); the error names the first layer that is too small.
    static func checkRank(_ configuration: LoRAConfiguration, model: CausalLanguageModel<Float>) throws {
        for (index, layer) in model.layers.enumerated() {
            if let wanted = configuration.layersToTransform, !wanted.contains(index) { continue }
            for name in ProjectionName.allCases {
                let projection = layer.projection(name)
                guard configuration.targetModules.matches(projection.path) else { continue }
                let limit = min(projection.inputFeatures, projection.outputFeatures)
                if configuration.rank > limit {
                    throw CommandError("--lora-rank (ms-swift --lora_rank) \(configuration.rank) is out of range for \(projection.path) "
                                       + "(\(projection.inputFeatures) → \(projection.outputFeatures)): must be ≤ \(limit)")
                }
            }
        }
    }

    static func prepareTraining(_ model: CausalLanguageModel<Float>, trainer: Trainer) {
        model.setLoRATraining(true)
        trainer.willRunMicroBatch = { index in model.setLoRADropoutStep(UInt64(index)) }
    }

    static func saveResult(model: CausalLanguageModel<Float>, tuner: Tuner, folder: ModelFolder, to url: URL) throws {
        model.setLoRATraining(false)
        switch tuner {
        case .full:
            try model.save(to: url, dtype: folder.storageDType, tokenizerSource: folder.url)
        case let .adapter(configuration):
            try model.saveLoRAAdapter(configuration, to: url)
        }
    }
}
