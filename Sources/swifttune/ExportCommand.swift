import ArgumentParser
import Foundation
import SwiftTuneCore

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a Hugging Face model folder: merge LoRA adapters into the base, or quantize to NF4.")

    @OptionGroup var modelOptions: ModelOptions
    @Flag(help: "Merge --adapters into the base weights.") var mergeLora = false
    @Option(help: "Output folder.") var output: String

    func validate() throws {
        if mergeLora && modelOptions.adapters == nil { throw ValidationError("--merge-lora needs --adapters") }
        if modelOptions.adapters != nil && !mergeLora { throw ValidationError("pass --merge-lora to merge --adapters") }
        if modelOptions.quantize != nil {
            throw ValidationError("--quantize nf4 export (bitsandbytes' serialized layout) is not implemented yet; export the merged model and let transformers quantize it on load")
        }
    }

    func run() throws {
        let folder = try ModelFolder(modelOptions.folderURL)
        let model = try folder.load(Float.self)
        if let adapters = modelOptions.adapters {
            // A QLoRA adapter merges into the unquantized base, as ms-swift does.
            try model.loadLoRAAdapter(from: URL(fileURLWithPath: adapters), trainable: false)
            try model.mergeAndUnloadLoRA()
        }
        try model.save(to: URL(fileURLWithPath: output), dtype: folder.storageDType, tokenizerSource: folder.url)
        print("exported to \(output)")
    }
}
