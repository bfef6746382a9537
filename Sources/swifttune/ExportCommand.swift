import ArgumentParser
import Foundation
import SwiftTuneCore

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a Hugging Face model folder: merge LoRA adapters into the base, and/or quantize to NF4 in bitsandbytes' layout.",
        discussion: """
            --quantize nf4 writes the decoder projections as bitsandbytes NF4 (double-quantized absmax, blocks of 64) \
            with config.json's quantization_config, so transformers' from_pretrained loads the folder as bitsandbytes \
            would have quantized it; with --adapters and --merge-lora the adapter is merged first, then quantized.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @Flag(inversion: .prefixedNo, exclusivity: .chooseLast, help: "Merge --adapters into the base weights.") var mergeLora = false
    @Option(help: "Output folder.") var output: String

    func validate() throws {
        if mergeLora && modelOptions.adapters == nil { throw ValidationError("--merge-lora needs --adapters") }
        if modelOptions.adapters != nil && !mergeLora { throw ValidationError("pass --merge-lora to merge --adapters") }
    }

    func run() throws {
        if let threads = modelOptions.threads { Runtime.threadCount = threads }
        let lock = try FolderLock(folder: URL(fileURLWithPath: output))   // a second run on --output fails at once
        defer { lock.release() }
        let folder = try ModelFolder(modelOptions.folderURL)
        let model = try folder.load(Float.self)
        if let adapters = modelOptions.adapters {
            // A QLoRA adapter merges into the unquantized base, as ms-swift does; a base that was loaded
            // pre-quantized is dequantized for the merge (what PEFT does for a bitsandbytes base).
            model.dequantizeNF4()
            try model.loadLoRAAdapter(from: URL(fileURLWithPath: adapters), trainable: false)
            try model.mergeAndUnloadLoRA()
        }
        let url = URL(fileURLWithPath: output)
        guard modelOptions.quantize == "nf4" else {
            try model.save(to: url, dtype: folder.storageDType, tokenizerSource: folder.url)
            print("exported to \(output)")
            return
        }
        model.quantizeNF4()
        try model.saveQuantizedNF4(to: url, dtype: folder.storageDType, tokenizerSource: folder.url)
        let weights = model.layers.flatMap { layer in ProjectionName.allCases.compactMap { layer.projection($0) as? NF4Linear } }
        let count = weights.reduce(0) { $0 + $1.weight.count }
        let bytes = weights.reduce(0) { $0 + $1.weight.byteCount }
        print(String(format: "exported to %@: %ld projections in NF4 (bitsandbytes layout), %ld weights in %ld bytes "
                     + "(%.3f bits per weight)", output, weights.count, count, bytes, Double(8 * bytes) / Double(max(count, 1))))
    }
}
