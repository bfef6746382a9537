import Hummingbird
import Foundation

/// JSON encoding of responses: compact, keys sorted (a stable order), slashes unescaped.
enum WireJSON {
    static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        // Every response type is plain data (strings, numbers made finite before encoding), so encoding cannot fail.
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }

    static func buffer(_ value: some Encodable) -> ByteBuffer { ByteBuffer(bytes: encode(value)) }

    /// One server-sent event: `data: JSON\n\n`.
    static func event(_ value: some Encodable) -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(encode(value))
        buffer.writeString("\n\n")
        return buffer
    }

    /// The stream's last event.
    static let done = ByteBuffer(string: "data: [DONE]\n\n")
}
