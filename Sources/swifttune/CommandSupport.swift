import ArgumentParser
import Foundation
import SwiftTuneCore
#if canImport(Glibc)
import Glibc
#endif

/// A user-facing failure: printed as one line, exit status 1.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Writes JSONL output atomically: lines are collected and the file appears only when complete.
struct JSONLWriter {
    let url: URL
    private(set) var lines: [String] = []

    /// - Throws: `CommandError` when the file's folder is missing or not writable (checked before any work).
    init(path: String) throws {
        url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue,
              access(folder, W_OK) == 0 else {
            throw CommandError("\(url.path): cannot write (\(FileErrorReason.probe(url.path) ?? "no folder '\(folder)'"))")
        }
    }

    mutating func append(_ object: [String: Any]) throws {
        lines.append(String(decoding: try JSONRecord.line(object, for: url), as: UTF8.self))
    }

    func finish() throws {
        let text = lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
        do { try Data(text.utf8).write(to: url, options: .atomic) } catch {
            throw CommandError("\(url.path): cannot write (\(FileErrorReason.describe(error, path: url.path)))")
        }
    }
}

/// One JSON object per output line, refusing what JSON cannot hold (NaN, infinities) with the file and field named.
enum JSONRecord {
    static func line(_ object: [String: Any], for url: URL) throws -> Data {
        for (key, value) in object {
            if let number = value as? Double, !number.isFinite {
                throw CommandError("\(url.path): field '\(key)' is \(number), which JSON cannot represent")
            }
            if let numbers = value as? [Double], let bad = numbers.firstIndex(where: { !$0.isFinite }) {
                throw CommandError("\(url.path): field '\(key)'[\(bad)] is \(numbers[bad]), which JSON cannot represent")
            }
        }
        do { return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) } catch {
            throw CommandError("\(url.path): cannot encode a record as JSON (\(error))")
        }
    }
}

/// Standard error, unbuffered. On a terminal, progress is one line redrawn with `\r`; anywhere else (CI, nohup,
/// a pipe: `isatty(2) == 0`) it is plain lines, only for the steps worth logging, so a log file stays readable.
enum Console {
    /// Whether standard error is a terminal.
    nonisolated(unsafe) static var isTerminal = isatty(2) != 0

    static func status(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// The training progress shared by `pt`, `sft` and `demo`: on a terminal redrawn every step; otherwise one line
    /// on the steps where `logged` is true (the first, every `--logging-steps`, the last, and validation steps).
    static func training(_ p: TrainingProgress, logged: Bool) {
        var preference = ""
        for (key, name) in [("rewards/accuracies", "acc"), ("rewards/margins", "margin"), ("kl", "kl")] {
            if let value = p.metrics[key] { preference += String(format: "  %@ %.3f", name, value) }
        }
        let detail = String(format: "loss %.4f%@  lr %.2e  %.0f tok/s  ETA %@  %.0f MB%@",
            p.loss, preference, p.learningRate, p.tokensPerSecond, TrainingJob.duration(p.estimatedSecondsRemaining), p.residentMemoryMB,
            p.validationLoss.map { String(format: "  val %.4f", $0) } ?? "")
        if isTerminal {
            bar(p.step, p.totalSteps, detail)
        } else if logged {
            status(String(format: "step %ld/%ld  epoch %.2f  ", p.step, p.totalSteps, p.epoch) + detail + "\n")
        }
    }

    /// A progress bar line ending in `\r` on a terminal; elsewhere one plain line when `done == total`.
    static func bar(_ done: Int, _ total: Int, _ detail: String) {
        guard isTerminal else {
            if done == total { status("\(done)/\(total) \(detail)\n") }
            return
        }
        let width = 24
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        status("\r\(bar) \(done)/\(total) \(detail)   ")
    }

    /// Ends a bar drawn with ``bar(_:_:_:)`` (a newline on a terminal; nothing elsewhere).
    static func endBar() { if isTerminal { status("\n") } }
}

/// `logging.jsonl` of a training run: one JSON object per logged step, appended and written through as it happens
/// (opened once; each line is one `write(2)`, so a killed run keeps every line it logged).
final class TrainingLog {
    let url: URL
    private let handle: FileHandle

    /// Opens `url` for a run starting at `resumedStep`: 0 starts the file afresh; a resumed run keeps the lines up
    /// to its checkpoint's step and drops later ones (written after the checkpoint by the interrupted run).
    init(url: URL, resumedStep: Int) throws {
        self.url = url
        var kept = Data()
        if resumedStep > 0, let old = FileManager.default.contents(atPath: url.path) {
            for line in old.split(separator: UInt8(ascii: "\n")) {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                      let step = object["step"] as? Int, step <= resumedStep else { continue }
                kept.append(contentsOf: line)
                kept.append(UInt8(ascii: "\n"))
            }
        }
        do {
            try kept.write(to: url, options: .atomic)
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch {
            throw CommandError("\(url.path): cannot write (\(FileErrorReason.describe(error, path: url.path)))")
        }
    }

    deinit { try? handle.close() }

    func append(_ object: [String: Any]) throws {
        var data = try JSONRecord.line(object, for: url)
        data.append(UInt8(ascii: "\n"))
        do { try handle.write(contentsOf: data) } catch {
            throw CommandError("\(url.path): cannot write (\(FileErrorReason.describe(error, path: url.path)))")
        }
    }
}

/// Options shared by commands that load a model.
struct ModelOptions: ParsableArguments {
    @Option(help: "A Hugging Face model folder (config.json, *.safetensors, tokenizer.json).") var model: String
    @Option(name: .customLong("adapters"), parsing: .upToNextOption, help: "A PEFT adapter folder to apply.") var adapterList: [String] = []
    @Option(help: "Quantize the decoder projections: nf4.") var quantize: String?
    @Option(help: "Kernel threads (default: all cores).") var threads: Int?

    /// The one adapter folder (ms-swift's `--adapters` is a list; SwiftTune applies one).
    var adapters: String? { adapterList.first }

    func validate() throws {
        if let quantize, quantize != "nf4" { throw ValidationError("--quantize supports nf4, not '\(quantize)'") }
        if adapterList.count > 1 { throw ValidationError("--adapters: SwiftTune applies one adapter, not \(adapterList.count)") }
        try OptionRange.threads(threads)
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
