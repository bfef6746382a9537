/// Rows ready for one forward pass: `[B, T]` ids and labels and the attention layout (packed segments or padding).
public struct Batch: Sendable {
    public var ids: [Int]
    public var labels: [Int]
    public var shape: [Int]
    public var layout: AttentionLayout
    /// Scored next-token predictions in the batch (what the loss is averaged over).
    public var scoredTokenCount: Int
    /// Real (non-padding) tokens.
    public var tokenCount: Int

    /// Samples padded to the longest (right padding, labels −100).
    public static func padded(_ samples: [Sample], padID: Int = 0) -> Batch {
        let T = samples.map(\.ids.count).max() ?? 0
        var ids: [Int] = [], labels: [Int] = []
        for s in samples {
            ids += s.ids + [Int](repeating: padID, count: T - s.ids.count)
            labels += s.labels + [Int](repeating: ignoreIndex, count: T - s.ids.count)
        }
        let layout = try! AttentionLayout.padded(lengths: samples.map(\.ids.count), length: T)
        return Batch(ids: ids, labels: labels, shape: [samples.count, T], layout: layout,
                     scoredTokenCount: samples.reduce(0) { $0 + $1.scoredTokenCount },
                     tokenCount: samples.reduce(0) { $0 + $1.ids.count })
    }

    /// Rows that each pack several samples (see ``Packing``); rows are padded to the longest row.
    public static func packed(_ rows: [[Sample]], padID: Int = 0) -> Batch {
        let T = rows.map { $0.reduce(0) { $0 + $1.ids.count } }.max() ?? 0
        var ids: [Int] = [], labels: [Int] = []
        for row in rows {
            let n = row.reduce(0) { $0 + $1.ids.count }
            ids += row.flatMap(\.ids) + [Int](repeating: padID, count: T - n)
            labels += row.flatMap(\.labels) + [Int](repeating: ignoreIndex, count: T - n)
        }
        let layout = try! AttentionLayout(segmentLengths: rows.map { $0.map(\.ids.count) }, length: T)
        let samples = rows.flatMap { $0 }
        return Batch(ids: ids, labels: labels, shape: [rows.count, T], layout: layout,
                     scoredTokenCount: samples.reduce(0) { $0 + $1.scoredTokenCount },
                     tokenCount: samples.reduce(0) { $0 + $1.ids.count })
    }
}

/// Best-fit-decreasing bin packing of samples into rows of at most `capacity` tokens.
///
/// Samples are placed longest first, each into the fullest row that still has room (a new row when none has);
/// no sample is split. Within a row, samples keep the order in which they were placed. Deterministic.
public enum Packing {
    public static func bestFitDecreasing(_ samples: [Sample], capacity: Int) -> [[Sample]] {
        bestFitDecreasing(lengths: samples.map(\.ids.count), capacity: capacity).map { $0.map { samples[$0] } }
    }

    /// ``bestFitDecreasing(_:capacity:)`` over lengths: the indices of the items each row holds, in placing order.
    public static func bestFitDecreasing(lengths: [Int], capacity: Int) -> [[Int]] {
        precondition(capacity > 0, "packing capacity \(capacity)")
        let order = lengths.indices.sorted { lengths[$0] > lengths[$1] || (lengths[$0] == lengths[$1] && $0 < $1) }
        var rows: [[Int]] = []
        var free: [Int] = []
        for i in order {
            let n = lengths[i]
            precondition(n <= capacity, "sample of \(n) tokens exceeds packing capacity \(capacity)")
            var best = -1
            for r in free.indices where free[r] >= n && (best < 0 || free[r] < free[best]) { best = r }
            if best < 0 {
                rows.append([i])
                free.append(capacity - n)
            } else {
                rows[best].append(i)
                free[best] -= n
            }
        }
        return rows
    }
}
