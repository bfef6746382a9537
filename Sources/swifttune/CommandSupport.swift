import ArgumentParser
import Foundation
import SwiftTuneCore

/// A user-facing failure: printed as one line, exit status 1.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Writes JSONL output atomically: lines are collected and the file appears only when complete.
struct JSONLWriter {
    let url: URL
    private(set) var lines: [String] = []

    init(path: String) { url = URL(fileURLWithPath: path) }

    mutating func append(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        lines.append(String(decoding: data, as: UTF8.self))
    }

    func finish() throws {
        let text = lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
        do { try Data(text.utf8).write(to: url, options: .atomic) } catch {
            throw CommandError("\(url.path): cannot write (\(error.localizedDescription))")
        }
    }
}

/// Standard error, unbuffered.
enum Console {
    static func status(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// The training progress line shared by `pt`, `sft` and `demo`.
    static func training(_ p: TrainingProgress) {
        bar(p.step, p.totalSteps, String(format: "loss %.4f  lr %.2e  %.0f tok/s  ETA %@  %.0f MB%@",
            p.loss, p.learningRate, p.tokensPerSecond, TrainingJob.duration(p.estimatedSecondsRemaining), p.residentMemoryMB,
            p.validationLoss.map { String(format: "  val %.4f", $0) } ?? ""))
    }

    /// A progress bar line ending in `\r`.
    static func bar(_ done: Int, _ total: Int, _ detail: String) {
        let width = 24
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        status("\r\(bar) \(done)/\(total) \(detail)   ")
    }
}

/// Options shared by commands that load a model.
struct ModelOptions: ParsableArguments {
    @Option(help: "A Hugging Face model folder (config.json, *.safetensors, tokenizer.json).") var model: String
    @Option(help: "A PEFT adapter folder to apply.") var adapters: String?
    @Option(help: "Quantize the decoder projections: nf4.") var quantize: String?
    @Option(help: "Kernel threads (default: all cores).") var threads: Int?

    func validate() throws {
        if let quantize, quantize != "nf4" { throw ValidationError("--quantize supports nf4, not '\(quantize)'") }
    }

    var folderURL: URL { URL(fileURLWithPath: model) }

    func loadTokenizer() throws -> Tokenizer { try Tokenizer(directory: folderURL) }

    func loadModel() throws -> CausalLanguageModel<Float> {
        if let threads { Runtime.threadCount = threads }
        let model = try ModelFolder(folderURL).load(Float.self, quantizingProjectionsToNF4: quantize == "nf4")
        try ModelTransforms.apply(to: model, adapters: adapters.map { URL(fileURLWithPath: $0) }, quantize: quantize)
        return model
    }
}

/// Reads a row's prompt for inference or scoring.
enum PromptRow {
    /// Pre-tokenized ids as given, text encoded, and a conversation rendered with the encoder's template (a trailing
    /// assistant turn dropped and the generation prompt added).
    static func generationPrompt(_ row: DatasetRow, encoder: SampleEncoder) throws -> [Int] {
        switch row {
        case let .tokenized(ids, _): return ids
        case let .text(text): return encoder.tokenizer.encode(text)
        default:
            var messages = encoder.chatMessages(row.conversation ?? [])
            if messages.last?.role == "assistant" { messages.removeLast() }
            var context = encoder.context
            if let tools = row.tools { context.tools = tools }
            return try encoder.tokenizer.encodeChat(messages, addGenerationPrompt: true, template: encoder.template,
                                                    context: context).ids
        }
    }
}
