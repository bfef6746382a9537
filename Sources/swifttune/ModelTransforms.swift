import Foundation
import SwiftTuneCore

/// Attaching tuners, adapters and quantization to a loaded model, and saving what a run produced.
enum ModelTransforms {
    enum Tuner {
        case full
    }

    /// For `infer` / `eval`: apply `--quantize nf4` and `--adapters DIR`.
    static func apply(to model: CausalLanguageModel<Float>, adapters: URL?, quantize: String?) throws {
        if quantize != nil || adapters != nil {
            throw CommandError("--adapters and --quantize are not available in this build")
        }
    }

    /// For `pt` / `sft`: make the right parameters trainable.
    static func attachTuner(to model: CausalLanguageModel<Float>, options: TrainOptions) throws -> Tuner {
        guard options.tuner == "full", options.quantize == nil, options.adapters == nil else {
            throw CommandError("--tuner \(options.tuner) is not available in this build")
        }
        return .full
    }

    static func saveResult(model: CausalLanguageModel<Float>, tuner: Tuner, folder: ModelFolder, to url: URL) throws {
        switch tuner {
        case .full:
            try model.save(to: url, dtype: folder.storageDType, tokenizerSource: folder.url)
        }
    }
}
