// Small Unicode helpers shared by the tokenizer pipeline. Everything works on Unicode scalars or UTF-8 bytes:
// Swift's `String ==`, `hasPrefix` and `Character` iteration use canonical equivalence and grapheme clusters,
// while `tokenizers` (Rust) compares code points, so using them would change token boundaries.

import Foundation

extension Unicode.Scalar {
    /// Rust's `char::is_whitespace`: the Unicode White_Space property.
    var isTokenizerWhitespace: Bool { properties.isWhitespace }

    /// Rust's `char::is_alphanumeric`: Alphabetic, or general category Nd, Nl or No.
    var isTokenizerAlphanumeric: Bool {
        if properties.isAlphabetic { return true }
        switch properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// Python's `str.isspace` (used by Jinja's `trim`): White_Space plus the separators U+001C…U+001F.
    var isPythonWhitespace: Bool { properties.isWhitespace || (0x1C...0x1F).contains(value) }
}

/// The UTF-8 offset where the scalar ending at `end` starts.
@inline(__always)
func scalarStart(before end: Int, in bytes: [UInt8]) -> Int {
    var i = end - 1
    while i > 0, bytes[i] & 0xC0 == 0x80 { i -= 1 }
    return i
}

/// The scalar whose UTF-8 encoding starts at `start` in `bytes` (which must be valid UTF-8) and its length.
@inline(__always)
func decodeScalar(at start: Int, in bytes: [UInt8]) -> (Unicode.Scalar, Int) {
    let b0 = UInt32(bytes[start])
    if b0 < 0x80 { return (Unicode.Scalar(b0)!, 1) }
    if b0 < 0xE0 { return (Unicode.Scalar((b0 & 0x1F) << 6 | UInt32(bytes[start + 1]) & 0x3F)!, 2) }
    if b0 < 0xF0 {
        let v = (b0 & 0x0F) << 12 | (UInt32(bytes[start + 1]) & 0x3F) << 6 | UInt32(bytes[start + 2]) & 0x3F
        return (Unicode.Scalar(v) ?? "\u{FFFD}", 3)
    }
    let v = (b0 & 0x07) << 18 | (UInt32(bytes[start + 1]) & 0x3F) << 12 | (UInt32(bytes[start + 2]) & 0x3F) << 6
        | UInt32(bytes[start + 3]) & 0x3F
    return (Unicode.Scalar(v) ?? "\u{FFFD}", 4)
}

/// `haystack` with every non-overlapping occurrence of `needle` (left to right) replaced by `replacement`, on bytes.
func replacingBytes(_ haystack: [UInt8], _ needle: [UInt8], with replacement: [UInt8]) -> [UInt8] {
    guard !needle.isEmpty, haystack.count >= needle.count else { return haystack }
    var out: [UInt8] = []
    out.reserveCapacity(haystack.count)
    var i = 0
    let first = needle[0]
    while i < haystack.count {
        if haystack[i] == first, i + needle.count <= haystack.count,
           haystack[i..<(i + needle.count)].elementsEqual(needle) {
            out.append(contentsOf: replacement)
            i += needle.count
        } else {
            out.append(haystack[i])
            i += 1
        }
    }
    return out
}

/// The start offsets of the non-overlapping occurrences of `needle` in `haystack`, left to right.
func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
    guard !needle.isEmpty, haystack.count >= needle.count else { return [] }
    var result: [Int] = []
    var i = 0
    while i + needle.count <= haystack.count {
        if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) {
            result.append(i)
            i += needle.count
        } else {
            i += 1
        }
    }
    return result
}

/// A dictionary key that compares UTF-8 bytes exactly (unlike `String`, which compares canonical equivalence).
struct ByteKey: Hashable {
    var bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(_ string: String) { self.bytes = Array(string.utf8) }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (a: ByteKey, b: ByteKey) -> Bool { a.bytes == b.bytes }
}
