/// The JSON text of a safetensors header, byte for byte as the official writer produces it.
///
/// The official implementation serialises with `serde_json::to_string` (safetensors/src/tensor.rs, `prepare`):
/// no whitespace, `"__metadata__"` first, then the tensors in data order with keys `dtype`, `shape`,
/// `data_offsets`; strings escape only `"`, `\` and control characters (`\b \t \n \f \r`, others as lowercase
/// `\u00xx`), leaving `/` and non-ASCII text as UTF-8. The result is padded with spaces to a multiple of 8 bytes
/// so the data section starts 8-byte aligned.
enum SafetensorsHeaderEncoding {
    /// One tensor's header entry.
    struct Item {
        var name: String
        var dtype: SafetensorsDType
        var shape: [Int]
        var dataOffsets: Range<Int>
    }

    /// The padded header bytes. Metadata keys are written in UTF-8 byte order (the official writer's order comes
    /// from a Rust `HashMap` and so is only reproducible for zero or one key).
    static func encode(_ items: [Item], metadata: [String: String]?) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        func separator() {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
        }
        if let metadata {
            separator()
            appendString("__metadata__", to: &out)
            out.append(contentsOf: Array(":{".utf8))
            for (i, key) in metadata.keys.sorted(by: utf8Less).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                appendString(metadata[key]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        for item in items {
            separator()
            appendString(item.name, to: &out)
            out.append(contentsOf: Array(":{\"dtype\":".utf8))
            appendString(item.dtype.rawValue, to: &out)
            out.append(contentsOf: Array(",\"shape\":[\(item.shape.map(String.init).joined(separator: ","))]".utf8))
            out.append(contentsOf: Array(
                ",\"data_offsets\":[\(item.dataOffsets.lowerBound),\(item.dataOffsets.upperBound)]}".utf8))
        }
        out.append(UInt8(ascii: "}"))
        let padded = (out.count + 7) / 8 * 8
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padded - out.count))
        return out
    }

    /// Rust's `String` ordering: lexicographic on UTF-8 bytes (Swift's `<` on `String` compares Unicode scalars
    /// after normalisation, which can differ).
    static func utf8Less(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    private static func appendString(_ string: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x00..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
