import Foundation

/// Reads a JSONL dataset: one JSON object per line, blank lines ignored.
///
/// The file is read in chunks; a line longer than ``maxRowBytes`` is refused by its line number without being
/// kept in memory or decoded (a 10 MB line would otherwise become a far larger JSON value).
public struct JSONLDataset {
    /// The default bound on a line's length: 64 MiB.
    public static let defaultMaxRowBytes = 64 << 20

    public let url: URL
    /// The rows and the 1-based line each came from.
    public let rows: [(line: Int, row: DatasetRow)]
    /// Lines skipped because they were malformed or too long (only with `skipBadRows`).
    public let skipped: [DatasetError]
    /// The longest line accepted, in bytes.
    public let maxRowBytes: Int

    /// Reads and parses every line of a JSONL file.
    ///
    /// - Parameters:
    ///   - url: the JSONL file.
    ///   - skipBadRows: skip malformed or too long lines (they are reported in ``skipped``) instead of throwing.
    ///   - maxRowBytes: the longest line accepted, in bytes (at least 1).
    /// - Throws: ``DatasetError`` naming the file and, for a bad row, its line.
    public init(contentsOf url: URL, skipBadRows: Bool = false, maxRowBytes: Int = JSONLDataset.defaultMaxRowBytes) throws {
        precondition(maxRowBytes >= 1, "maxRowBytes \(maxRowBytes) must be at least 1")
        self.url = url
        self.maxRowBytes = maxRowBytes
        (rows, skipped) = try JSONLDataset.readRows(of: url, skipBadRows: skipBadRows, maxRowBytes: maxRowBytes) { line in
            [try DatasetRow(json: line)]
        }
    }

    /// The rows of every non-blank line of `url`, each with its 1-based line number, as `parse` makes them (a line
    /// may give several rows); a line `parse` refuses, or one longer than `maxRowBytes`, is a ``DatasetError`` naming
    /// the file and line — thrown, or collected in `skipped` with `skipBadRows`.
    /// - Throws: ``DatasetError`` (also ``DatasetError/empty(file:)`` when the file has no rows at all).
    static func readRows<Row>(of url: URL, skipBadRows: Bool, maxRowBytes: Int, parse: (Data) throws -> [Row])
        throws -> (rows: [(line: Int, row: Row)], skipped: [DatasetError]) {
        var rows: [(line: Int, row: Row)] = []
        var skipped: [DatasetError] = []
        try forEachLine(of: url, maxBytes: maxRowBytes) { lineNumber, line in
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { return }
            do { rows += try parse(line).map { (lineNumber, $0) } } catch {
                let problem = DatasetError.badRow(file: url.path, line: lineNumber, reason: "\(error)")
                if skipBadRows { skipped.append(problem) } else { throw problem }
            }
        } tooLong: { lineNumber, bytes in
            let problem = DatasetError.rowTooLarge(file: url.path, line: lineNumber, bytes: bytes, limit: maxRowBytes)
            if skipBadRows { skipped.append(problem) } else { throw problem }
        }
        if rows.isEmpty && skipped.isEmpty { throw DatasetError.empty(file: url.path) }
        return (rows, skipped)
    }

    /// Calls `body` with each line of `url` (1-based number, bytes without the newline), reading 1 MiB at a time; a
    /// line longer than `maxBytes` is not collected: `tooLong` gets its number and length instead.
    static func forEachLine(of url: URL, maxBytes: Int, _ body: (Int, Data) throws -> Void,
                            tooLong: (Int, Int) throws -> Void) throws {
        guard let handle = try? FileHandle(forReadingFrom: url) else { throw DatasetError.unreadable(file: url.path) }
        defer { try? handle.close() }
        var current = Data()
        var length = 0          // bytes of the current line so far (also when it is too long to keep)
        var lineNumber = 1
        func finishLine() throws {
            if length > maxBytes { try tooLong(lineNumber, length) } else { try body(lineNumber, current) }
            current.removeAll(keepingCapacity: true)
            length = 0
            lineNumber += 1
        }
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw DatasetError.unreadable(file: url.path)
            }
            if chunk.isEmpty { break }
            var start = chunk.startIndex
            while start < chunk.endIndex {
                let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n"))
                let end = newline ?? chunk.endIndex
                let piece = end - start
                if length + piece <= maxBytes {
                    current.append(chunk[start..<end])
                } else if length <= maxBytes {
                    current.removeAll()   // over the bound: stop collecting this line
                }
                length += piece
                guard let newline else { break }
                try finishLine()
                start = newline + 1
            }
        }
        if length > 0 { try finishLine() }
    }
}
