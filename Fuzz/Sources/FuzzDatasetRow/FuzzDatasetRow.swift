// libFuzzer target: the bytes are a JSONL dataset file.
//
// Read through `JSONLDataset` (skipping bad rows, so every line is tried), then each row's conversation is
// rendered with the built-in ChatML template, which is what `sft` does with a conversation row.
import Foundation
import FuzzDriver
import SwiftTuneCore

private let scratch = scratchURL("input.jsonl")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Data(bytes: data, count: size)
    guard (try? bytes.write(to: scratch)) != nil,
          let dataset = try? JSONLDataset(contentsOf: scratch, skipBadRows: true) else { return 0 }
    for (_, row) in dataset.rows {
        guard let conversation = row.conversation else { continue }
        let context = ChatContext(tools: row.tools)
        _ = try? ChatTemplate.chatML.render(conversation.map(\.chatMessage), addGenerationPrompt: false, context: context)
    }
    return 0
}

@main
enum FuzzDatasetRowMain {
    static func main() { runFuzzer(fuzz) }
}
