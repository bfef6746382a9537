extension TextStream {
    /// The earliest position in `text` where one of `stops` occurs in full, and which one (the first listed among
    /// those starting there).
    static func earliestMatch(of stops: [[Unicode.Scalar]], in text: [Unicode.Scalar]) -> (index: Int, stop: Int)? {
        var best: (index: Int, stop: Int)?
        for (k, stop) in stops.enumerated() where stop.count <= text.count {
            let limit = min(text.count - stop.count, (best?.index ?? Int.max) - 1)
            guard limit >= 0 else { continue }
            for i in 0...limit where text[i] == stop[0] && text[i..<(i + stop.count)].elementsEqual(stop) {
                best = (i, k)
                break
            }
        }
        return best
    }

    /// The length of the longest suffix of `text` that is a proper prefix of one of `stops` (0 if none).
    static func longestPartialStop(_ stops: [[Unicode.Scalar]], suffixOf text: [Unicode.Scalar]) -> Int {
        let longest = min(text.count, (stops.map(\.count).max() ?? 1) - 1)
        guard longest > 0 else { return 0 }
        for length in stride(from: longest, through: 1, by: -1) {
            let suffix = text[(text.count - length)...]
            if stops.contains(where: { $0.count > length && $0[..<length].elementsEqual(suffix) }) { return length }
        }
        return 0
    }
}
