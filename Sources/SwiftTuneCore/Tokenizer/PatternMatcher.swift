// Finds the matches of a tokenizer.json `pattern` in a piece of text, as UTF-8 offsets.
//
// Regex patterns run on NSRegularExpression (ICU). `tokenizers` uses Oniguruma; for the patterns LLM tokenizers
// ship (GPT-2's, Qwen2's / cl100k's, Llama-3's: `\p{L}`, `\p{N}`, `\s`, `(?i:'s|…)`, `\s+(?!\S)`, `{1,3}`) the two
// engines agree: both are backtracking, leftmost-first engines with Unicode `\p` classes and Unicode case folding,
// and both match `\s` on the White_Space characters, including U+000B and U+0085. The fixtures from
// Tools/generate_tokenizer_fixtures.py exercise this on multilingual text; when this was written, a 3,000-string
// random comparison against `tokenizers` (vertical tab, NEL, U+2028, long s, Kelvin sign, combining marks,
// emoji, other scripts' digits) found no difference for the three patterns.

import Foundation

/// A compiled pattern: a literal string or a regular expression.
struct PatternMatcher: @unchecked Sendable {  // NSRegularExpression is immutable and documented thread-safe.
    enum Kind {
        case literal([UInt8])
        case regex(NSRegularExpression)
    }

    let kind: Kind

    /// A matcher for the literal `bytes`.
    init(literal bytes: [UInt8]) {
        kind = .literal(bytes)
    }

    init(_ pattern: PatternConfiguration) throws {
        switch pattern {
        case let .string(s):
            kind = .literal(Array(s.utf8))
        case let .regex(r):
            kind = .regex(try NSRegularExpression(pattern: r, options: []))
        }
    }

    /// The text cut into (start, end, isMatch) spans covering it, in order, as UTF-8 offsets, the way `tokenizers`'
    /// `Pattern::find_matches` does (an empty text gives one empty non-match).
    func spans(in text: String, bytes: [UInt8]) -> [(start: Int, end: Int, isMatch: Bool)] {
        if bytes.isEmpty { return [(0, 0, false)] }
        var matches: [(Int, Int)] = []
        switch kind {
        case let .literal(needle):
            matches = occurrences(of: needle, in: bytes).map { ($0, $0 + needle.count) }
        case let .regex(re):
            let ns = text as NSString
            var utf16Bounds: [Int] = []
            re.enumerateMatches(in: text, options: [], range: NSRange(location: 0, length: ns.length)) { m, _, _ in
                guard let r = m?.range, r.length > 0 else { return }
                utf16Bounds.append(r.location)
                utf16Bounds.append(r.location + r.length)
            }
            let utf8Bounds = utf8Offsets(ofUTF16: utf16Bounds, in: text)
            matches.reserveCapacity(utf8Bounds.count / 2)
            var k = 0
            while k < utf8Bounds.count {
                matches.append((utf8Bounds[k], utf8Bounds[k + 1]))
                k += 2
            }
        }
        var spans: [(start: Int, end: Int, isMatch: Bool)] = []
        spans.reserveCapacity(matches.count * 2 + 1)
        var previous = 0
        for (start, end) in matches {
            if previous != start { spans.append((previous, start, false)) }
            spans.append((start, end, true))
            previous = end
        }
        if previous != bytes.count { spans.append((previous, bytes.count, false)) }
        return spans
    }
}

/// Converts ascending UTF-16 offsets into UTF-8 offsets in one pass over the scalars of `text`.
func utf8Offsets(ofUTF16 offsets: [Int], in text: String) -> [Int] {
    var result: [Int] = []
    result.reserveCapacity(offsets.count)
    var u16 = 0
    var u8 = 0
    var k = 0
    var scalars = text.unicodeScalars.makeIterator()
    while k < offsets.count {
        while k < offsets.count, offsets[k] <= u16 {
            result.append(u8)
            k += 1
        }
        guard let s = scalars.next() else { break }
        u16 += s.value >= 0x10000 ? 2 : 1
        u8 += s.value < 0x80 ? 1 : s.value < 0x800 ? 2 : s.value < 0x10000 ? 3 : 4
    }
    while k < offsets.count {
        result.append(u8)
        k += 1
    }
    return result
}
