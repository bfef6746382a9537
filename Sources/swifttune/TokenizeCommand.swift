import ArgumentParser
import Foundation
import SwiftTuneCore

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize {\"text\": ...} rows: writes {\"index\": i, \"input_ids\": [...]} with the special tokens tokenizer(text) adds.")

    @Option(help: "A model folder with tokenizer.json.") var model: String
    @Option(help: "Input JSONL with a \"text\" field per row.") var dataset: String
    @Option(help: "Output JSONL.") var output: String
    @Option(help: "Refuse dataset lines longer than this many bytes (default \(JSONLDataset.defaultMaxRowBytes)).")
    var maxRowBytes: Int?

    func validate() throws { try OptionRange.maxRowBytes(maxRowBytes) }

    func run() throws {
        let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: model))
        let data = try JSONLDataset(contentsOf: URL(fileURLWithPath: dataset),
                                    maxRowBytes: maxRowBytes ?? JSONLDataset.defaultMaxRowBytes)
        var writer = try JSONLWriter(path: output)
        for (i, entry) in data.rows.enumerated() {
            guard case let .text(text) = entry.row else {
                throw CommandError("\(dataset):\(entry.line): tokenize expects a {\"text\": ...} row")
            }
            try writer.append(["index": i, "input_ids": tokenizer.encode(text)])
        }
        try writer.finish()
        Console.status("tokenized \(data.rows.count) rows → \(output)\n")
    }
}
