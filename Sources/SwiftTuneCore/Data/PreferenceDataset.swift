import Foundation

/// Reads a JSONL preference dataset (see ``PreferenceRow`` for the row forms): one JSON object per line, blank
/// lines ignored, long lines refused without being decoded, as ``JSONLDataset`` reads SFT data.
public struct PreferenceDataset {
    /// Which rows a run needs.
    public enum Kind: String, Sendable, CaseIterable {
        /// Chosen/rejected pairs (DPO, ORPO, CPO, SimPO): a row with a `label` is a bad row.
        case paired
        /// Labelled completions (KTO): a pair becomes two rows, chosen desirable then rejected undesirable
        /// (TRL's `unpair_preference_dataset`).
        case unpaired
    }

    public let url: URL
    /// The rows and the 1-based line each came from (for `.unpaired`, both halves of a pair carry its line).
    public let rows: [(line: Int, row: PreferenceRow)]
    /// Lines skipped because they were malformed or too long (only with `skipBadRows`).
    public let skipped: [DatasetError]

    /// Reads and parses every line of a JSONL preference file.
    ///
    /// - Parameters:
    ///   - url: the JSONL file.
    ///   - kind: pairs or labelled completions.
    ///   - skipBadRows: skip malformed or too long lines (reported in ``skipped``) instead of throwing.
    ///   - maxRowBytes: the longest line accepted, in bytes (at least 1).
    /// - Throws: ``DatasetError`` naming the file and, for a bad row, its line and field.
    public init(contentsOf url: URL, kind: Kind, skipBadRows: Bool = false,
                maxRowBytes: Int = JSONLDataset.defaultMaxRowBytes) throws {
        precondition(maxRowBytes >= 1, "maxRowBytes \(maxRowBytes) must be at least 1")
        self.url = url
        (rows, skipped) = try JSONLDataset.readRows(of: url, skipBadRows: skipBadRows, maxRowBytes: maxRowBytes) { line in
            let row = try PreferenceRow(json: line)
            switch kind {
            case .paired:
                guard row.isPair else {
                    throw DatasetRowProblem("a KTO row ('label') in a dataset of preference pairs (expected 'rejected_response', 'rejected_messages' or 'rejected_ids')")
                }
                return [row]
            case .unpaired:
                return row.unpairedRows
            }
        }
    }
}
