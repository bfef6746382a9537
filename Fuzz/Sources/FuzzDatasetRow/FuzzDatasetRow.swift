// libFuzzer target: the bytes are a JSONL dataset file.
//
// Read through `JSONLDataset` (skipping bad rows, so every line is tried), then each row's conversation is
// rendered with the built-in ChatML template, which is what `sft` does with a conversation row. Every skipped
// line must be reported with the file and its line number.
import Foundation
import FuzzDriver
import SwiftTuneCore

private let scratch = scratchURL("input.jsonl")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Data(bytes: data, count: size)
    guard (try? bytes.write(to: scratch)) != nil else { return 0 }
    let dataset: JSONLDataset
    do { dataset = try JSONLDataset(contentsOf: scratch, skipBadRows: true) } catch {
        requireTypedError(error, [DatasetError.self], naming: scratch.path)
        return 0
    }
    for problem in dataset.skipped {
        guard case let .badRow(file, line, _) = problem, file == scratch.path, line >= 1 else {
            fatalError("a skipped row does not name its file and line: \(problem)")
        }
        requireTypedError(problem, [DatasetError.self], naming: "\(scratch.path):\(line):")
    }
    for (_, row) in dataset.rows {
        guard let conversation = row.conversation else { continue }
        let context = ChatContext(tools: row.tools)
        do {
            _ = try ChatTemplate.chatML.render(conversation.map(\.chatMessage), addGenerationPrompt: false,
                                               context: context)
        } catch {
            requireTypedError(error, [JinjaError.self], naming: "chatml")
        }
    }
    return 0
}

@main
enum FuzzDatasetRowMain {
    static func main() { runFuzzer(fuzz) }
}
