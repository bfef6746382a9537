// GPT-2's byte ↔ unicode table (openai/gpt-2 encoder.py `bytes_to_unicode`, reused by `tokenizers` ByteLevel):
// the 188 printable bytes '!'…'~', '¡'…'¬', '®'…'ÿ' map to themselves; the other 68 bytes map, in order, to
// U+0100, U+0101, …, so that space (0x20) is 'Ġ' (U+0120) and newline (0x0A) is 'Ċ' (U+010A).
// Byte-level vocabularies are written in this alphabet, so every token is printable and no byte is unknown.

/// The byte-level BPE alphabet: each of the 256 byte values as one printable Unicode scalar.
///
/// ```swift
/// ByteLevelAlphabet.scalar(for: 0x20)   // "Ġ"
/// ByteLevelAlphabet.encode("a b")       // "aĠb"
/// ```
public enum ByteLevelAlphabet {
    /// `scalars[b]` is the scalar that stands for byte `b`.
    public static let scalars: [Unicode.Scalar] = {
        let printable = Array(UInt32(0x21)...0x7E) + Array(UInt32(0xA1)...0xAC) + Array(UInt32(0xAE)...0xFF)
        let printableSet = Set(printable)
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        for b in printable { table[Int(b)] = Unicode.Scalar(b)! }
        var n: UInt32 = 0
        for b in UInt32(0)...255 where !printableSet.contains(b) {
            table[Int(b)] = Unicode.Scalar(256 + n)!
            n += 1
        }
        return table
    }()

    /// The UTF-8 encoding of `scalars[b]`, precomputed for the encoder's inner loop.
    static let utf8: [[UInt8]] = scalars.map { Array(String($0).utf8) }

    /// The byte a scalar of the alphabet stands for (`nil` for scalars outside it).
    static let bytes: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (b, s) in scalars.enumerated() { map[s.value] = UInt8(b) }
        return map
    }()

    /// The scalar that stands for `byte`.
    public static func scalar(for byte: UInt8) -> Unicode.Scalar { scalars[Int(byte)] }

    /// The byte that `scalar` stands for, or `nil` if it is not in the alphabet.
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? { bytes[scalar.value] }

    /// Rewrites every UTF-8 byte of `text` as its alphabet scalar (what the ByteLevel pre-tokenizer does).
    public static func encode(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 2)
        for b in text.utf8 { out.append(contentsOf: utf8[Int(b)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
