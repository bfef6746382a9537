// Finds added tokens inside text before the model runs, as `tokenizers`' AddedVocabulary does
// (added_vocabulary.rs, `find_matches`): leftmost-longest, non-overlapping matches over the bytes; a `single_word`
// token is skipped when a word character touches it; `lstrip` / `rstrip` widen a match over adjacent whitespace.
// One matcher holds the tokens with normalized = false (run on the raw text), another those with
// normalized = true (their content normalized, run on each normalized piece).

struct AddedTokenMatcher: Sendable {
    struct Entry: Sendable {
        var bytes: [UInt8]
        var token: AddedTokenConfiguration
    }

    let entries: [Entry]
    /// For each first byte, the entries starting with it, longest first.
    private let byFirstByte: [[Int]]

    init(_ entries: [Entry]) {
        self.entries = entries
        var table = [[Int]](repeating: [], count: 256)
        for (k, e) in entries.enumerated() where !e.bytes.isEmpty { table[Int(e.bytes[0])].append(k) }
        for b in 0..<256 {
            table[b].sort { entries[$0].bytes.count != entries[$1].bytes.count
                ? entries[$0].bytes.count > entries[$1].bytes.count : $0 < $1 }
        }
        byFirstByte = table
    }

    var isEmpty: Bool { entries.isEmpty }

    /// Cuts `bytes` into spans that are either an added token (`id` set) or text to encode (`id` nil).
    func split(_ bytes: [UInt8]) -> [(start: Int, end: Int, id: Int?)] {
        if entries.isEmpty || bytes.isEmpty { return [(0, bytes.count, nil)] }
        var spans: [(start: Int, end: Int, id: Int?)] = []
        var startOffset = 0
        var i = 0
        while i < bytes.count {
            guard let k = longestMatch(at: i, in: bytes) else {
                i += 1
                continue
            }
            let token = entries[k].token
            var start = i
            var stop = i + entries[k].bytes.count
            i = stop  // the search resumes after the raw match even when the match is discarded below
            if token.singleWord {
                let startSpace = start == 0 || !AddedTokenMatcher.endsWithWordCharacter(bytes, before: start)
                let stopSpace = stop == bytes.count || !AddedTokenMatcher.startsWithWordCharacter(bytes, at: stop)
                if !startSpace || !stopSpace { continue }
            }
            if token.lstrip {
                var s = start
                while s > 0 {
                    let p = scalarStart(before: s, in: bytes)
                    guard decodeScalar(at: p, in: bytes).0.isTokenizerWhitespace else { break }
                    s = p
                }
                start = max(s, startOffset)
            }
            if token.rstrip {
                while stop < bytes.count {
                    let (scalar, length) = decodeScalar(at: stop, in: bytes)
                    guard scalar.isTokenizerWhitespace else { break }
                    stop += length
                }
            }
            if startOffset < start { spans.append((startOffset, start, nil)) }
            spans.append((start, stop, token.id))
            startOffset = stop
        }
        if startOffset != bytes.count { spans.append((startOffset, bytes.count, nil)) }
        return spans
    }

    private func longestMatch(at i: Int, in bytes: [UInt8]) -> Int? {
        for k in byFirstByte[Int(bytes[i])] {
            let pattern = entries[k].bytes
            if i + pattern.count <= bytes.count, bytes[i..<(i + pattern.count)].elementsEqual(pattern) { return k }
        }
        return nil
    }

    /// Whether the character before `offset` is alphanumeric or `_` (`tokenizers`' `ends_with_word`).
    static func endsWithWordCharacter(_ bytes: [UInt8], before offset: Int) -> Bool {
        guard offset > 0 else { return false }
        let scalar = decodeScalar(at: scalarStart(before: offset, in: bytes), in: bytes).0
        return scalar.isTokenizerAlphanumeric || scalar == "_"
    }

    /// Whether the character at `offset` is alphanumeric or `_` (`tokenizers`' `starts_with_word`).
    static func startsWithWordCharacter(_ bytes: [UInt8], at offset: Int) -> Bool {
        guard offset < bytes.count else { return false }
        let scalar = decodeScalar(at: offset, in: bytes).0
        return scalar.isTokenizerAlphanumeric || scalar == "_"
    }
}
