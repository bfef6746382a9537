// Reads `model.vocab` from the raw bytes of a tokenizer.json.
//
// Why not JSONDecoder: it collects object keys in a Swift Dictionary<String, _>, and Swift strings compare by
// canonical equivalence, so distinct vocabulary entries such as "Å" (U+00C5), "Å" (U+212B) and "A\u{30A}" collapse
// into one. Token ids must be exact, so this scanner walks the JSON itself and keeps every key as written.

import Foundation

enum VocabularyScanner {
    struct Failure: Error {
        var reason: String
        var offset: Int
    }

    /// The entries of the top-level `model.vocab` object, in file order. Missing `model` or `vocab` gives [].
    static func modelVocabulary(in data: Data) throws -> [VocabularyEntry] {
        try data.withUnsafeBytes { raw -> [VocabularyEntry] in
            let s = Scanner(bytes: raw.bindMemory(to: UInt8.self))
            var result: [VocabularyEntry] = []
            try s.object { key in
                guard key == Array("model".utf8) else { return false }
                try s.object { key in
                    guard key == Array("vocab".utf8) else { return false }
                    guard s.peek() == UInt8(ascii: "{") else { return false }  // a list (Unigram) is not ours
                    try s.object { key in
                        result.append(VocabularyEntry(token: String(decoding: key, as: UTF8.self), id: try s.integer()))
                        return true
                    }
                    return true
                }
                return true
            }
            return result
        }
    }

    /// A forward-only reader of JSON bytes (a class, so nested closures can advance it).
    final class Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        func fail(_ reason: String) -> Failure { Failure(reason: reason, offset: i) }

        func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        func peek() -> UInt8? {
            skipSpace()
            return i < bytes.count ? bytes[i] : nil
        }

        func expect(_ c: UInt8) throws {
            guard peek() == c else { throw fail("expected '\(Character(Unicode.Scalar(c)))'") }
            i += 1
        }

        /// Walks an object; `body` reads the value for `key` and returns true, or returns false to have it skipped.
        func object(_ body: (_ key: [UInt8]) throws -> Bool) throws {
            try expect(UInt8(ascii: "{"))
            if peek() == UInt8(ascii: "}") { i += 1; return }
            while true {
                let key = try string()
                try expect(UInt8(ascii: ":"))
                if try !body(key) { try skipValue() }
                switch peek() {
                case UInt8(ascii: ","): i += 1
                case UInt8(ascii: "}"): i += 1; return
                default: throw fail("expected ',' or '}'")
                }
            }
        }

        func integer() throws -> Int {
            skipSpace()
            var negative = false
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
            var value = 0
            let start = i
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int(bytes[i] - 0x30))
                guard !o1, !o2 else { throw fail("integer overflow") }
                value = a
                i += 1
            }
            guard i > start else { throw fail("expected an integer id") }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                throw fail("expected an integer id")
            }
            return negative ? -value : value
        }

        /// A JSON string, unescaped, as UTF-8 bytes (lone surrogates become U+FFFD, as in most decoders).
        func string() throws -> [UInt8] {
            try expect(UInt8(ascii: "\""))
            var out: [UInt8] = []
            while true {
                guard i < bytes.count else { throw fail("unterminated string") }
                let c = bytes[i]
                i += 1
                if c == UInt8(ascii: "\"") { return out }
                if c != UInt8(ascii: "\\") { out.append(c); continue }
                guard i < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar), i + 1 < bytes.count,
                       bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                        let save = i
                        i += 2
                        let low = try hex4()
                        if (0xDC00..<0xE000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            i = save
                        }
                    }
                    let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    out.append(contentsOf: UTF8.encode(u)!)
                default: throw fail("bad escape")
                }
            }
        }

        func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count else { throw fail("short \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[i]
                i += 1
                let d: UInt8
                switch c {
                case 0x30...0x39: d = c - 0x30
                case 0x41...0x46: d = c - 0x41 + 10
                case 0x61...0x66: d = c - 0x61 + 10
                default: throw fail("bad \\u escape")
                }
                v = v << 4 | UInt32(d)
            }
            return v
        }

        func skipValue() throws {
            switch peek() {
            case UInt8(ascii: "{"): try object { _ in false }
            case UInt8(ascii: "["):
                i += 1
                if peek() == UInt8(ascii: "]") { i += 1; return }
                while true {
                    try skipValue()
                    switch peek() {
                    case UInt8(ascii: ","): i += 1
                    case UInt8(ascii: "]"): i += 1; return
                    default: throw fail("expected ',' or ']'")
                    }
                }
            case UInt8(ascii: "\""): _ = try string()
            case .some:
                // number, true, false, null: JSONDecoder has already validated the document.
                while i < bytes.count, !",}] \n\r\t".utf8.contains(bytes[i]) { i += 1 }
            case nil: throw fail("unexpected end of input")
            }
        }
    }
}
