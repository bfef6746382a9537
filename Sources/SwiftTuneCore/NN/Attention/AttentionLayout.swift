/// Which keys each query may attend to, for a batch of rows that may pack several samples each.
///
/// A row of length T holds consecutive segments (samples) followed by optional padding. A query sees only keys of
/// its own segment, at or before its own position (causal), and within the sliding window when one is set. This
/// is flash-attention's variable-length layout (`cu_seqlens`) per row, kept compact: one segment id per position
/// (`-1` for padding), never a T×T matrix.
///
/// ```swift
/// // one row of 10 positions packing samples of length 4, 3 and 2, then 1 padding position
/// let layout = try AttentionLayout(segmentLengths: [[4, 3, 2]], length: 10)
/// layout.positions   // [0, 1, 2, 3, 0, 1, 2, 0, 1, 0] — RoPE positions restart per sample
/// ```
public struct AttentionLayout: Sendable, Equatable {
    /// Rows B.
    public let batchSize: Int
    /// Positions per row T.
    public let length: Int
    /// `[B·T]` segment id of every position (numbered from 0 within a row; −1 for padding).
    public let segmentIDs: [Int32]
    /// Sliding window (`sliding_window` of Mistral / Qwen2 configs): query i sees keys j > i − window. 0 = none.
    public let window: Int
    /// `[B·T]` position of every token within its segment (0 for padding): the RoPE positions of a packed row.
    public let positions: [Int]
    /// Cumulative segment lengths per row (flash-attention's `cu_seqlens`).
    public let cumulativeLengths: [[Int]]

    /// Rows packing segments of the given lengths; what is left of each row after its segments is padding.
    /// - Throws: ``AttentionLayoutError`` when a row's segments do not fit or a length is not positive.
    public init(segmentLengths: [[Int]], length: Int, window: Int = 0) throws {
        guard length >= 0 else { throw AttentionLayoutError.negativeSize(name: "length", value: length) }
        guard window >= 0 else { throw AttentionLayoutError.negativeSize(name: "window", value: window) }
        var ids: [Int32] = []
        var positions: [Int] = []
        var cumulative: [[Int]] = []
        ids.reserveCapacity(segmentLengths.count * length)
        for (row, lengths) in segmentLengths.enumerated() {
            if let bad = lengths.first(where: { $0 <= 0 }) {
                throw AttentionLayoutError.nonPositiveSegment(row: row, length: bad)
            }
            var total = 0
            for n in lengths {
                let (sum, overflow) = total.addingReportingOverflow(n)
                guard !overflow else { throw AttentionLayoutError.rowOverflow(row: row, tokens: Int.max, length: length) }
                total = sum
            }
            guard total <= length else { throw AttentionLayoutError.rowOverflow(row: row, tokens: total, length: length) }
            var cu = [0]
            for (s, n) in lengths.enumerated() {
                ids += [Int32](repeating: Int32(s), count: n)
                positions += Array(0..<n)
                cu.append(cu.last! + n)
            }
            ids += [Int32](repeating: -1, count: length - total)
            positions += [Int](repeating: 0, count: length - total)
            cumulative.append(cu)
        }
        self.batchSize = segmentLengths.count
        self.length = length
        self.segmentIDs = ids
        self.positions = positions
        self.window = window
        self.cumulativeLengths = cumulative
    }

    /// Plain causal attention over B full rows of length T.
    /// - Precondition: `batchSize`, `length` and `window` are ≥ 0 (the model checks its inputs before calling this).
    public static func causal(batchSize: Int, length: Int, window: Int = 0) -> AttentionLayout {
        // Cannot throw for batchSize, length, window ≥ 0 (every row is one segment of the full length).
        try! AttentionLayout(segmentLengths: [[Int]](repeating: length > 0 ? [length] : [], count: batchSize),
                             length: length, window: window)
    }

    /// Rows of different lengths padded to `length` (right padding).
    public static func padded(lengths: [Int], length: Int, window: Int = 0) throws -> AttentionLayout {
        try AttentionLayout(segmentLengths: lengths.map { $0 > 0 ? [$0] : [] }, length: length, window: window)
    }

    /// The same rows with a sliding window.
    public func withWindow(_ window: Int) -> AttentionLayout {
        AttentionLayout(batchSize: batchSize, length: length, segmentIDs: segmentIDs, window: window,
                        positions: positions, cumulativeLengths: cumulativeLengths)
    }

    private init(batchSize: Int, length: Int, segmentIDs: [Int32], window: Int, positions: [Int],
                 cumulativeLengths: [[Int]]) {
        self.batchSize = batchSize
        self.length = length
        self.segmentIDs = segmentIDs
        self.window = window
        self.positions = positions
        self.cumulativeLengths = cumulativeLengths
    }

    /// Whether query i may attend to key j in row b (the definition the kernels implement).
    public func isVisible(row b: Int, query i: Int, key j: Int) -> Bool {
        let si = segmentIDs[b * length + i], sj = segmentIDs[b * length + j]
        return si >= 0 && si == sj && j <= i && (window == 0 || i - j < window)
    }

    /// The additive mask `[B, T, T]`: 0 where visible, −∞ elsewhere (for reference computations and small sizes).
    public func denseMask<Scalar: TensorScalar>(_ type: Scalar.Type = Scalar.self) -> Tensor<Scalar> {
        Tensor(shape: [batchSize, length, length]) { out in
            for b in 0..<batchSize { for i in 0..<length { for j in 0..<length {
                out[(b * length + i) * length + j] = isVisible(row: b, query: i, key: j) ? 0 : -Scalar.infinity
            } } }
        }
    }
}

/// A layout that cannot hold the samples given to it.
public enum AttentionLayoutError: Error, CustomStringConvertible, Equatable {
    case rowOverflow(row: Int, tokens: Int, length: Int)
    case nonPositiveSegment(row: Int, length: Int)
    /// The row length or the sliding window (`name`) is negative.
    case negativeSize(name: String, value: Int)

    public var description: String {
        switch self {
        case let .rowOverflow(row, tokens, length): return "row \(row): segments hold \(tokens) tokens, more than the row length \(length)"
        case let .nonPositiveSegment(row, length): return "row \(row): segment length \(length) must be positive"
        case let .negativeSize(name, value): return "attention layout: \(name) \(value) must be ≥ 0"
        }
    }
}
