import Foundation
import SwiftTuneCore
@testable import swifttune

/// The repository root (for Defaults/ and Documentation/).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func repositoryPath(_ relative: String) -> String { repositoryRoot.appendingPathComponent(relative).path }

/// What a `pt` / `sft` command line decides, to compare two spellings of the same run.
struct TrainPlan: Equatable, CustomStringConvertible {
    var training: TrainingConfiguration
    var lora: LoRAConfiguration
    var isFull: Bool
    var quantize: String?
    var model: String
    var dataset: [String]
    var valDataset: [String]
    var output: String
    var adapter: String?
    var resumeFromCheckpoint: String?

    init(_ o: TrainOptions) throws {
        training = try o.trainingConfiguration()
        lora = o.loraConfiguration
        isFull = o.isFull
        quantize = o.quantize
        model = o.model
        dataset = o.dataset
        valDataset = o.valDataset
        output = o.output
        adapter = o.adapter
        resumeFromCheckpoint = o.resumeFromCheckpoint
    }

    var description: String {
        "TrainPlan(training: \(training), lora: \(lora), full: \(isFull), quantize: \(quantize as Any), model: \(model), "
            + "dataset: \(dataset), val: \(valDataset), output: \(output), adapter: \(adapter as Any), resume: \(resumeFromCheckpoint as Any))"
    }
}

/// Parses a full command line (`["sft", ...]`) as `swifttune` does: config expansion, ms-swift translation, then
/// ArgumentParser (with its validation).
func parse(_ arguments: [String]) throws -> ParsableCommandBox {
    ParsableCommandBox(try SwiftTuneCommand.parseAsRoot(SwiftTuneCommand.preprocess(arguments)))
}

struct ParsableCommandBox {
    let command: Any
    init(_ command: Any) { self.command = command }

    func trainOptions() throws -> TrainOptions {
        if let sft = command as? SFTCommand { return sft.options }
        if let pt = command as? PretrainCommand { return pt.options }
        if let rlhf = command as? RLHFCommand { return rlhf.options }
        throw CommandError("not a training command: \(type(of: command))")
    }

    func plan() throws -> TrainPlan { try TrainPlan(trainOptions()) }
}

/// A fresh temporary folder.
func temporaryFolder(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("swifttune-cli-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The first `count` lines of a Defaults/data file, written to `folder`.
func head(_ relative: String, _ count: Int, into folder: URL) throws -> String {
    let text = try String(contentsOfFile: repositoryPath(relative), encoding: .utf8)
    let lines = text.split(separator: "\n").prefix(count).joined(separator: "\n") + "\n"
    let url = folder.appendingPathComponent(URL(fileURLWithPath: relative).lastPathComponent)
    try lines.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

/// `logging.jsonl` as (step, loss) pairs.
func loggedLosses(_ folder: URL) throws -> [(step: Int, loss: Double)] {
    let text = try String(contentsOf: folder.appendingPathComponent("logging.jsonl"), encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        return (object["step"] as! Int, object["loss"] as! Double)
    }
}
