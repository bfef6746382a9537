import Foundation
import SwiftTuneCore
import Testing

/// The streaming JSONL reader: line numbers across its 1 MiB chunks, `maxRowBytes` refusing a line by number
/// before decoding it, and samples checked against the vocabulary.
@Suite("JSONL limits")
struct JSONLLimitsTests {
    func write(_ data: Data) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swifttune-limits-\(UUID().uuidString).jsonl")
        try data.write(to: url)
        return url
    }

    /// Rows on both sides of long lines that cross chunk boundaries keep their line numbers and content.
    @Test func linesAcrossChunks() throws {
        let long = #"{"text": ""# + String(repeating: "x", count: 1_500_000) + #""}"#
        let text = [#"{"text": "a"}"#, long, "", #"{"text": "b"}"#, long, #"{"text": "c"}"#].joined(separator: "\n")
        let url = try write(Data(text.utf8))   // no final newline
        defer { try? FileManager.default.removeItem(at: url) }
        let ds = try JSONLDataset(contentsOf: url)
        #expect(ds.rows.map(\.line) == [1, 2, 4, 5, 6])
        #expect(ds.rows[1].row == .text(String(repeating: "x", count: 1_500_000)))
        #expect(ds.rows[4].row == .text("c"))
    }

    @Test func oversizedLinesAreRefusedByNumber() throws {
        let long = #"{"text": ""# + String(repeating: "y", count: 3_000_000) + #""}"#
        let text = [#"{"text": "a"}"#, long, #"{"text": "b"}"#].joined(separator: "\n") + "\n"
        let url = try write(Data(text.utf8))
        defer { try? FileManager.default.removeItem(at: url) }
        let bytes = long.utf8.count
        #expect(throws: DatasetError.rowTooLarge(file: url.path, line: 2, bytes: bytes, limit: 1 << 20)) {
            try JSONLDataset(contentsOf: url, maxRowBytes: 1 << 20)
        }
        let lenient = try JSONLDataset(contentsOf: url, skipBadRows: true, maxRowBytes: 1 << 20)
        #expect(lenient.rows.map(\.line) == [1, 3])
        #expect(lenient.skipped == [.rowTooLarge(file: url.path, line: 2, bytes: bytes, limit: 1 << 20)])
        #expect("\(lenient.skipped[0])".contains(":2: the line has \(bytes) bytes"))
        // A line of exactly the limit is accepted.
        #expect(try JSONLDataset(contentsOf: url, maxRowBytes: bytes).rows.count == 3)
    }

    @Test func samplesOutsideTheVocabulary() throws {
        #expect(throws: TrainingError.tokenOutOfRange(96, 96)) { try Sample(ids: [1, 96], labels: [1, 96]).validate(vocabularySize: 96) }
        #expect(throws: TrainingError.labelOutOfRange(-2, 96)) { try Sample(ids: [1, 2], labels: [-2, 2]).validate(vocabularySize: 96) }
        try Sample(ids: [0, 95], labels: [ignoreIndex, 95]).validate(vocabularySize: 96)
    }
}
