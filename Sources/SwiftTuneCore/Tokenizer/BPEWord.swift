// The BPE merge loop for one word, ported from `tokenizers` (models/bpe/word.rs, `Word::merge_all`) so that ties
// and stale entries resolve exactly as there: a min-heap of candidate merges ordered by (rank, position); popping
// one, skip it if its left symbol was merged away or the pair at that position no longer produces the same token;
// otherwise merge, then push the new pairs formed with the neighbours. O(n log n) in the word's symbol count, so
// pre-tokenizer-less models (Llama-2: a whole line is one "word") stay fast.

/// A merge: `rank` (priority, lower first) and the id of the merged token.
struct MergeTarget {
    var rank: Int32
    var newID: Int32
}

/// The key of the pair (left, right) in the merge table.
@inline(__always)
func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
    UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
}

/// A word as a doubly linked list of symbols (token ids) that merges shrink in place.
struct BPEWord {
    var ids: [Int32] = []
    var prev: [Int32] = []
    var next: [Int32] = []
    var removed: [Bool] = []

    init(capacity: Int) {
        ids.reserveCapacity(capacity)
        prev.reserveCapacity(capacity)
        next.reserveCapacity(capacity)
        removed.reserveCapacity(capacity)
    }

    /// Appends a symbol (`Word::add`).
    mutating func add(_ id: Int32) {
        let n = Int32(ids.count)
        if n > 0 { next[Int(n) - 1] = n }
        ids.append(id)
        prev.append(n - 1)
        next.append(-1)
        removed.append(false)
    }

    /// Applies every applicable merge in priority order (`Word::merge_all` without dropout).
    mutating func mergeAll(_ merges: [UInt64: MergeTarget]) {
        guard ids.count > 1 else { return }
        var heap = MergeHeap(capacity: ids.count)
        for i in 0..<(ids.count - 1) {
            if let m = merges[pairKey(ids[i], ids[i + 1])] {
                heap.push(.init(rank: m.rank, pos: Int32(i), newID: m.newID))
            }
        }
        while let top = heap.pop() {
            let pos = Int(top.pos)
            if removed[pos] { continue }
            let nextPos = Int(next[pos])
            if nextPos < 0 { continue }
            // An expired entry: the pair at `pos` changed since it was pushed.
            guard let current = merges[pairKey(ids[pos], ids[nextPos])], current.newID == top.newID else { continue }

            ids[pos] = top.newID
            removed[nextPos] = true
            let after = next[nextPos]
            next[pos] = after
            if after >= 0 { prev[Int(after)] = Int32(pos) }

            let before = prev[pos]
            if before >= 0, let m = merges[pairKey(ids[Int(before)], ids[pos])] {
                heap.push(.init(rank: m.rank, pos: before, newID: m.newID))
            }
            if after >= 0, let m = merges[pairKey(ids[pos], ids[Int(after)])] {
                heap.push(.init(rank: m.rank, pos: Int32(pos), newID: m.newID))
            }
        }
    }

    /// The remaining symbols in order.
    func tokens(into out: inout [Int32]) {
        for i in 0..<ids.count where !removed[i] { out.append(ids[i]) }
    }
}

/// A binary min-heap of merges ordered by (rank, position), as `tokenizers`' `Merge` ordering.
struct MergeHeap {
    struct Entry {
        var rank: Int32
        var pos: Int32
        var newID: Int32

        @inline(__always)
        static func precedes(_ a: Entry, _ b: Entry) -> Bool {
            a.rank != b.rank ? a.rank < b.rank : a.pos < b.pos
        }
    }

    private var items: [Entry] = []

    init(capacity: Int) { items.reserveCapacity(capacity) }

    mutating func push(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Entry.precedes(items[i], items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            let n = items.count
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var best = i
                if l < n, Entry.precedes(items[l], items[best]) { best = l }
                if r < n, Entry.precedes(items[r], items[best]) { best = r }
                if best == i { break }
                items.swapAt(i, best)
                i = best
            }
        }
        return first
    }
}
