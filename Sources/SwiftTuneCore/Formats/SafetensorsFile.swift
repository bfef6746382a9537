import Foundation

/// A memory-mapped `.safetensors` file: the header is parsed and validated on open, tensors are read on demand.
///
/// ```swift
/// let file = try SafetensorsFile(contentsOf: url)
/// for name in file.tensorNames { print(name, try file.info(name).shape) }
/// let w: Tensor<Float> = try file.tensor("model.embed_tokens.weight", as: Float.self)
/// ```
///
/// A tensor whose stored dtype is the requested element type, at a suitably aligned offset, shares the mapped
/// pages (no copy); the file stays mapped until the last such tensor and the `SafetensorsFile` are gone. Other
/// tensors are converted into fresh storage (see ``tensor(_:as:)``).
public struct SafetensorsFile: Sendable {
    /// The file this was read from.
    public let url: URL
    let mapping: MappedFile
    let header: SafetensorsHeader

    /// Opens, maps and validates `url`.
    /// - Throws: ``SafetensorsError`` naming the file (and the tensor) when the file is missing, truncated or its
    ///   header is malformed: bad length, not JSON, unknown dtype, negative or overflowing shape, byte count not
    ///   matching dtype × shape, offsets outside the data section, overlapping tensors.
    public init(contentsOf url: URL) throws {
        self.url = url
        mapping = try MappedFile(path: url.path)
        header = try SafetensorsHeader(bytes: mapping.bytes(0..<mapping.size), path: url.path)
    }

    /// Tensor names in the order of their data in the file.
    public var tensorNames: [String] { header.orderedNames }

    /// The `"__metadata__"` strings (empty when the file has none).
    public var metadata: [String: String] { header.metadata }

    /// Whether the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool { header.tensors[name] != nil }

    /// The stored dtype, shape and byte range of `name`.
    /// - Throws: ``SafetensorsError/tensorNotFound(path:tensor:)``.
    public func info(_ name: String) throws -> SafetensorsTensorInfo {
        guard let info = header.tensors[name] else {
            throw SafetensorsError.tensorNotFound(path: url.path, tensor: name)
        }
        return info
    }

    /// The stored bytes of `name` as they are in the file, whatever its dtype (little-endian elements).
    /// - Throws: ``SafetensorsError/tensorNotFound(path:tensor:)``.
    public func storedBytes(_ name: String) throws -> [UInt8] {
        let info = try self.info(name)
        let start = header.dataStart + info.dataOffsets.lowerBound
        return [UInt8](mapping.bytes(start..<(start + info.dataOffsets.count)))
    }

    /// The tensor `name` as `Scalar` elements, with its stored shape.
    ///
    /// - Same dtype: shares the mapped bytes when they are aligned for `Scalar`, else copies them.
    /// - F16, BF16, F32, F64 → `Float`, `Double`, `Float16`, ``BFloat16``: widening is exact; narrowing rounds to
    ///   nearest, ties to even (F64 → `Float16`/``BFloat16`` rounds twice, through `Float`).
    /// - BOOL, U8, I8, I16, U16, I32, U32, I64 → `Int64`, and those that fit (all but U32 and I64) → `Int32`: exact.
    /// - Throws: ``SafetensorsError/tensorNotFound(path:tensor:)``, or
    ///   ``SafetensorsError/unsupportedConversion(path:tensor:from:to:)`` for any other pair.
    public func tensor<Scalar: TensorElement>(_ name: String, as type: Scalar.Type = Scalar.self) throws -> Tensor<Scalar> {
        let info = try self.info(name)
        let start = header.dataStart + info.dataOffsets.lowerBound
        let bytes = mapping.bytes(start..<(start + info.dataOffsets.count))
        let count = info.elementCount
        guard let target = SafetensorsDType(Scalar.self) else {
            throw SafetensorsError.unsupportedConversion(path: url.path, tensor: name, from: info.dtype.rawValue,
                                                         to: "\(Scalar.self)")
        }
        if target == info.dtype {
            if count > 0, let base = bytes.baseAddress, Int(bitPattern: base) % MemoryLayout<Scalar>.alignment == 0 {
                let pointer = UnsafeMutableRawPointer(mutating: base).bindMemory(to: Scalar.self, capacity: count)
                let mapping = self.mapping
                let storage = TensorStorage<Scalar>(borrowing: pointer, count: count) { _ in
                    withExtendedLifetime(mapping) {}
                }
                return Tensor(shape: info.shape, storage: storage)
            }
            return Tensor(shape: info.shape) { out in
                UnsafeMutableRawBufferPointer(out).copyMemory(from: bytes)
            }
        }
        guard let convert = SafetensorsConversion.converter(from: info.dtype, to: target, as: Scalar.self) else {
            throw SafetensorsError.unsupportedConversion(path: url.path, tensor: name, from: info.dtype.rawValue,
                                                         to: target.rawValue)
        }
        return Tensor(shape: info.shape) { out in convert(bytes, out) }
    }
}
