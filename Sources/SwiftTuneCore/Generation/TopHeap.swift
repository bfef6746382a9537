/// The `capacity` best (value, id) pairs of a stream, best = larger value, then lower id; a binary min-heap whose
/// root is the worst kept pair. Offered ids must increase (as in a pass over a row), so once the heap is full a
/// value ≤ the root's is rejected with one comparison; a pass over `n` values costs O(n + m log capacity) for the
/// m pairs that enter.
struct TopHeap {
    struct Entry { var value: Float; var id: Int32 }
    let capacity: Int
    private(set) var entries: [Entry] = []

    init(capacity: Int) {
        self.capacity = max(capacity, 0)
        entries.reserveCapacity(self.capacity)
    }

    /// Whether `a` ranks below `b` (smaller value, or equal value and larger id).
    @inline(__always) static func worse(_ a: Entry, _ b: Entry) -> Bool {
        a.value < b.value || (a.value == b.value && a.id > b.id)
    }

    /// Offers every value of `x`, ids `0..<x.count`; NaN counts as −∞.
    mutating func offerAll(_ x: UnsafeBufferPointer<Float>) {
        let n = x.count
        var i = 0
        while i < n && entries.count < capacity {
            offer(x[i].isNaN ? -.infinity : x[i], id: Int32(i))
            i += 1
        }
        guard capacity > 0, i < n else { return }
        var root = entries[0].value
        while i < n {
            let v = x[i]
            if v > root {   // false for NaN; an equal value has a larger id, so it ranks lower
                entries[0] = Entry(value: v, id: Int32(i))
                siftDown()
                root = entries[0].value
            }
            i += 1
        }
    }

    /// Offers one pair (ids increasing across calls).
    mutating func offer(_ value: Float, id: Int32) {
        let e = Entry(value: value, id: id)
        if entries.count < capacity {
            entries.append(e)
            var i = entries.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard Self.worse(entries[i], entries[parent]) else { break }
                entries.swapAt(i, parent)
                i = parent
            }
        } else if capacity > 0, Self.worse(entries[0], e) {
            entries[0] = e
            siftDown()
        }
    }

    private mutating func siftDown() {
        var i = 0
        let n = entries.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n && Self.worse(entries[l], entries[m]) { m = l }
            if r < n && Self.worse(entries[r], entries[m]) { m = r }
            if m == i { return }
            entries.swapAt(i, m)
            i = m
        }
    }

    /// The worst kept pair (the heap's root), if any.
    var worst: Entry? { entries.first }

    /// The kept pairs, best first.
    func sortedBestFirst() -> [Entry] { entries.sorted { Self.worse($1, $0) } }
}
