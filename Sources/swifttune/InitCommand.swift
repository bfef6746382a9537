import ArgumentParser
import Foundation
import SwiftTuneCore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a randomly initialised model folder from a config.json and a tokenizer (to pretrain from scratch).")

    @Option(help: "A Hugging Face config.json.") var modelConfig: String
    @Option(help: "A folder with tokenizer.json (copied into the output).") var tokenizer: String
    @Option(help: "Output model folder.") var output: String
    @Option(help: "Weight dtype: F32, F16 or BF16.") var dtype = "BF16"
    @Option var seed: UInt64 = 0

    func run() throws {
        guard let storage = SafetensorsDType(rawValue: dtype), storage.isConvertibleFloatingPoint else {
            throw CommandError("--dtype \(dtype) is not supported: must be F32, F64, F16 or BF16")
        }
        guard let data = FileManager.default.contents(atPath: modelConfig) else { throw CommandError("\(modelConfig): cannot read") }
        let configuration: ModelConfiguration
        do { configuration = try ModelConfiguration.decode(data, file: modelConfig) } catch {
            throw CommandError("--model-config \(error)")
        }
        let tokenizerFile = URL(fileURLWithPath: tokenizer).appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: tokenizerFile.path) else {
            throw CommandError("--tokenizer \(tokenizer): no tokenizer.json in the folder")
        }
        // The tokenizer is copied into the model: it must load, and every id it produces must have an embedding row.
        let vocabulary: Int
        do { vocabulary = try Tokenizer(directory: URL(fileURLWithPath: tokenizer)).vocabularySize } catch {
            throw CommandError("--tokenizer \(error)")
        }
        guard vocabulary <= configuration.vocabularySize else {
            throw CommandError("--model-config \(modelConfig): 'vocab_size' = \(configuration.vocabularySize) is smaller than the "
                               + "\(vocabulary) tokens of --tokenizer \(tokenizerFile.path); the model could not embed them")
        }
        let model = CausalLanguageModel<Float>(configuration: configuration, seed: seed)
        try model.save(to: URL(fileURLWithPath: output), dtype: storage, tokenizerSource: URL(fileURLWithPath: tokenizer))
        print("wrote \(model.parameterCount) parameters to \(output)")
    }
}
