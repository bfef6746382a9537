import Foundation

/// The parsed, validated JSON header of a safetensors file.
///
/// Layout (https://github.com/huggingface/safetensors, README "Format"): an 8-byte little-endian header length
/// `n`, `n` bytes of UTF-8 JSON, then the data section. The JSON maps each tensor name to
/// `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the data section) and may hold a
/// `"__metadata__"` map of strings.
///
/// The header is untrusted input: every number is checked before any byte of the data section is read, so a bad
/// file throws a ``SafetensorsError`` instead of reading out of bounds.
struct SafetensorsHeader: Sendable {
    /// The official implementation's limit (`MAX_HEADER_SIZE` in safetensors/src/tensor.rs).
    static let maximumLength = 100_000_000

    /// Tensors by name.
    let tensors: [String: SafetensorsTensorInfo]
    /// Names in data order (by begin offset, then name).
    let orderedNames: [String]
    /// The `"__metadata__"` map (empty when absent).
    let metadata: [String: String]
    /// Byte offset of the data section in the file (8 + header length).
    let dataStart: Int

    /// Reads and validates the header at the start of `bytes` (the whole file).
    init(bytes: UnsafeRawBufferPointer, path: String) throws {
        guard bytes.count >= 8 else { throw SafetensorsError.truncated(path: path, fileSize: bytes.count) }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        let limit = min(Self.maximumLength, bytes.count - 8)
        guard length <= UInt64(limit) else {
            throw SafetensorsError.headerLengthOutOfBounds(path: path, length: length, limit: limit)
        }
        let headerEnd = 8 + Int(length)
        let json = Data(bytes[8..<headerEnd])
        let raw: RawHeader
        do {
            raw = try JSONDecoder().decode(RawHeader.self, from: json)
        } catch let error as DecodingError {
            // Foundation's decoder reports a non-integer or out-of-range number as "not valid JSON", without a
            // location; tell that apart from text that is not JSON at all.
            if case let .dataCorrupted(context) = error, context.codingPath.isEmpty,
               (try? JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed])) != nil {
                throw SafetensorsError.invalidHeader(
                    path: path, reason: "a shape or data_offsets value is not an integer in the range of Int")
            }
            throw SafetensorsError.invalidHeader(path: path, reason: Self.describe(error))
        } catch {
            throw SafetensorsError.invalidHeader(path: path, reason: "\(error)")
        }
        let dataSize = bytes.count - headerEnd
        var tensors: [String: SafetensorsTensorInfo] = [:]
        for (name, entry) in raw.tensors.sorted(by: { $0.key < $1.key }) {
            tensors[name] = try Self.validate(entry, name: name, dataSize: dataSize, path: path)
        }
        let ordered = tensors.values.sorted {
            ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name)
                < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name)
        }
        // Sorted by begin, ranges are disjoint when each non-empty one starts at or after the furthest end so far.
        var furthest: SafetensorsTensorInfo?
        for info in ordered where !info.dataOffsets.isEmpty {
            if let previous = furthest, info.dataOffsets.lowerBound < previous.dataOffsets.upperBound {
                throw SafetensorsError.overlappingTensors(path: path, first: previous.name, second: info.name)
            }
            if furthest == nil || info.dataOffsets.upperBound > furthest!.dataOffsets.upperBound { furthest = info }
        }
        self.tensors = tensors
        self.orderedNames = ordered.map(\.name)
        self.metadata = raw.metadata ?? [:]
        self.dataStart = headerEnd
    }

    private static func validate(_ entry: RawTensor, name: String, dataSize: Int,
                                 path: String) throws -> SafetensorsTensorInfo {
        guard let dtype = SafetensorsDType(rawValue: entry.dtype) else {
            throw SafetensorsError.unknownDType(path: path, tensor: name, dtype: entry.dtype)
        }
        guard entry.dataOffsets.count == 2 else {
            throw SafetensorsError.invalidHeader(
                path: path, reason: "tensor '\(name)': data_offsets has \(entry.dataOffsets.count) values, not 2")
        }
        var count = 1
        for extent in entry.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard extent >= 0, !overflow else {
                throw SafetensorsError.invalidShape(path: path, tensor: name, shape: entry.shape)
            }
            count = product
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw SafetensorsError.invalidShape(path: path, tensor: name, shape: entry.shape) }
        let (begin, end) = (entry.dataOffsets[0], entry.dataOffsets[1])
        guard begin >= 0, begin <= end, end <= dataSize else {
            throw SafetensorsError.offsetsOutOfBounds(path: path, tensor: name, begin: begin, end: end, dataSize: dataSize)
        }
        guard end - begin == byteCount else {
            throw SafetensorsError.byteCountMismatch(path: path, tensor: name, dtype: dtype, shape: entry.shape,
                                                     expected: byteCount, actual: end - begin)
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: entry.shape, dataOffsets: begin..<end)
    }

    /// A one-line account of a decoding failure: where in the JSON, and what was wrong.
    private static func describe(_ error: DecodingError) -> String {
        func location(_ path: [CodingKey]) -> String {
            path.isEmpty ? "" : path.map { $0.intValue.map { "[\($0)]" } ?? "'\($0.stringValue)'" }
                .joined(separator: ".") + ": "
        }
        switch error {
        case let .dataCorrupted(context):
            let underlying = context.underlyingError.map { " (\($0))" } ?? ""
            return location(context.codingPath) + context.debugDescription + underlying
        case let .keyNotFound(key, context):
            return location(context.codingPath) + "missing key '\(key.stringValue)'"
        case let .typeMismatch(type, context):
            return location(context.codingPath) + "expected \(type): \(context.debugDescription)"
        case let .valueNotFound(type, context):
            return location(context.codingPath) + "expected \(type), found null"
        @unknown default:
            return "\(error)"
        }
    }
}

/// The header as JSON, before validation.
private struct RawHeader: Decodable {
    var metadata: [String: String]?
    var tensors: [String: RawTensor] = [:]

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: SafetensorsJSONKey.self)
        for key in container.allKeys {
            if key.stringValue == "__metadata__" {
                metadata = try container.decode([String: String].self, forKey: key)
            } else {
                tensors[key.stringValue] = try container.decode(RawTensor.self, forKey: key)
            }
        }
    }
}

private struct RawTensor: Decodable {
    var dtype: String
    var shape: [Int]
    var dataOffsets: [Int]

    enum CodingKeys: String, CodingKey {
        case dtype, shape
        case dataOffsets = "data_offsets"
    }
}

/// A coding key for JSON objects with arbitrary keys.
struct SafetensorsJSONKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
