/// The `capacity` best (value, id) pairs of a stream, best = larger value, then lower id; a binary min-heap whose
/// root is the worst kept pair, so a pass over `n` values costs O(n log capacity) and usually one comparison each.
struct TopHeap {
    struct Entry { var value: Float; var id: Int32 }
    let capacity: Int
    private(set) var entries: [Entry] = []

    init(capacity: Int) {
        self.capacity = capacity
        entries.reserveCapacity(capacity)
    }

    /// Whether `a` ranks below `b` (smaller value, or equal value and larger id).
    @inline(__always) static func worse(_ a: Entry, _ b: Entry) -> Bool {
        a.value < b.value || (a.value == b.value && a.id > b.id)
    }

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
            siftDown(from: 0)
        }
    }

    private mutating func siftDown(from start: Int) {
        var i = start
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
