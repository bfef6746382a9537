/// Encoding a whole ``PreferenceDataset``.
extension PreferenceEncoder {
    /// The encoded rows of a dataset, the line each came from, and what was left out.
    public struct EncodedDataset<Item: Sendable & Equatable>: Sendable {
        /// The kept items in file order, with their 1-based line.
        public var items: [(line: Int, item: Item)]
        /// Rows dropped for length or for scoring nothing, by reason.
        public var dropped: PreferenceDropCounts
        /// Rows that could not be encoded (only with `skipBadRows`), naming file and line.
        public var skipped: [DatasetError]
    }

    /// Encodes every row of a paired dataset.
    ///
    /// - Parameters:
    ///   - dataset: rows read with ``PreferenceDataset/Kind/paired``.
    ///   - vocabularySize: when given, every id must lie in `[0, vocabularySize)`.
    ///   - skipBadRows: skip rows that cannot be encoded (reported in ``EncodedDataset/skipped``).
    /// - Throws: ``DatasetError/badRow(file:line:reason:)`` naming the file and line.
    public func encodePairs(_ dataset: PreferenceDataset, vocabularySize: Int? = nil,
                            skipBadRows: Bool = false) throws -> EncodedDataset<PreferencePair> {
        try encodeAll(dataset, skipBadRows: skipBadRows) { row in
            let outcome = try encodePair(row)
            if let vocabularySize { try outcome.item?.validate(vocabularySize: vocabularySize) }
            return outcome
        }
    }

    /// Encodes every row of an unpaired (KTO) dataset.
    ///
    /// - Parameters: as ``encodePairs(_:vocabularySize:skipBadRows:)``, for rows read with
    ///   ``PreferenceDataset/Kind/unpaired``.
    /// - Throws: ``DatasetError/badRow(file:line:reason:)`` naming the file and line.
    public func encodeUnpaired(_ dataset: PreferenceDataset, vocabularySize: Int? = nil,
                               skipBadRows: Bool = false) throws -> EncodedDataset<KTOExample> {
        try encodeAll(dataset, skipBadRows: skipBadRows) { row in
            let outcome = try encodeUnpaired(row)
            if let vocabularySize { try outcome.item?.validate(vocabularySize: vocabularySize) }
            return outcome
        }
    }

    private func encodeAll<Item>(_ dataset: PreferenceDataset, skipBadRows: Bool,
                                 _ encode: (PreferenceRow) throws -> Outcome<Item>) throws -> EncodedDataset<Item> {
        var result = EncodedDataset<Item>(items: [], dropped: PreferenceDropCounts(), skipped: dataset.skipped)
        for (line, row) in dataset.rows {
            do {
                switch try encode(row) {
                case let .kept(item): result.items.append((line, item))
                case let .dropped(reason): result.dropped.add(reason)
                }
            } catch {
                let problem = DatasetError.badRow(file: dataset.url.path, line: line, reason: "\(error)")
                if skipBadRows { result.skipped.append(problem) } else { throw problem }
            }
        }
        return result
    }
}
