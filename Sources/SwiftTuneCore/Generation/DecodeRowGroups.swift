/// The rows of one decode step (or one prefill chunk) by adapter: the rows of `groups[i].rows` (a contiguous range
/// of the step's rows) use the ``AdapterBank`` adapter `groups[i].adapter` (`nil`: the base model alone).
///
/// The decoding session orders a step's rows so that each adapter's rows are contiguous; a projection applies its
/// low-rank update per group, on that group's rows only.
public struct DecodeRowGroups: Sendable, Equatable {
    /// One adapter's rows.
    public struct Group: Sendable, Equatable {
        /// The adapter's index in ``AdapterBank/names``, or `nil` for the base.
        public var adapter: Int?
        /// The group's rows among the step's rows.
        public var rows: Range<Int>

        public init(adapter: Int?, rows: Range<Int>) {
            self.adapter = adapter
            self.rows = rows
        }
    }

    /// The groups, covering the step's rows in order.
    public var groups: [Group]

    public init(groups: [Group]) { self.groups = groups }

    /// `rows` rows that all use `adapter`.
    public static func single(rows: Int, adapter: Int? = nil) -> DecodeRowGroups {
        DecodeRowGroups(groups: rows > 0 ? [Group(adapter: adapter, rows: 0..<rows)] : [])
    }

    /// The number of rows.
    public var rowCount: Int { groups.last?.rows.upperBound ?? 0 }
}
