import Foundation
import SwiftTuneCore
import Testing

@Suite("JSONL datasets")
struct DatasetTests {
    func write(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swifttune-ds-\(UInt32.random(in: 0...UInt32.max)).jsonl")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func parsesEveryFormat() throws {
        let url = try write("""
        {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}, {"role": "assistant", "content": "a", "loss": false}]}
        {"query": "q", "response": "r", "history": [["q0", "r0"]]}
        {"instruction": "do", "input": "this", "output": "done"}

        {"text": "plain"}
        {"input_ids": [1, 2, 3], "labels": [-100, 2, 3]}
        """)
        defer { try? FileManager.default.removeItem(at: url) }
        let ds = try JSONLDataset(contentsOf: url)
        #expect(ds.rows.map(\.line) == [1, 2, 3, 5, 6])
        #expect(ds.rows[0].row.conversation?.last?.loss == false)
        #expect(ds.rows[1].row.conversation?.map(\.role) == ["user", "assistant", "user", "assistant"])
        #expect(ds.rows[2].row.conversation?.first?.content == "do\nthis")
        #expect(ds.rows[3].row == .text("plain"))
        #expect(ds.rows[4].row == .tokenized(inputIDs: [1, 2, 3], labels: [-100, 2, 3]))
    }

    @Test func badRowsNameFileAndLine() throws {
        let url = try write("{\"text\": \"ok\"}\n{not json\n{\"messages\": [{\"role\": \"bot\", \"content\": \"x\"}]}\n")
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: DatasetError.badRow(file: url.path, line: 2, reason: "not valid JSON (<json>:1: expected a string key)")) {
            try JSONLDataset(contentsOf: url)
        }
        let lenient = try JSONLDataset(contentsOf: url, skipBadRows: true)
        #expect(lenient.rows.count == 1 && lenient.skipped.count == 2)
        #expect("\(lenient.skipped[1])".contains(":3: message 0 has role 'bot'"))
    }
}
