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
    }

    func run() throws {
        let folder = try ModelFolder(modelOptions.folderURL)
        let model = try folder.load(Float.self)
        try ModelTransforms.apply(to: model, adapters: modelOptions.adapters.map { URL(fileURLWithPath: $0) },
                                  quantize: modelOptions.quantize)
        try model.save(to: URL(fileURLWithPath: output), dtype: folder.storageDType, tokenizerSource: folder.url)
        print("exported to \(output)")
    }
}
