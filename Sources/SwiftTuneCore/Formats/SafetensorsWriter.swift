import Foundation

/// Writes `.safetensors` files that match `safetensors.torch.save_file` byte for byte.
///
/// Tensors are laid out as the official writer orders them (safetensors/src/tensor.rs, `prepare`): by dtype in
/// descending alignment order (the declaration order of ``SafetensorsDType``), then by name in UTF-8 byte order;
/// the header is padded with spaces to a multiple of 8 bytes. With the same tensors and at most one metadata key,
/// the output equals the Python library's. The file is written to a temporary sibling and renamed into place, so
/// a failed write never leaves a partial file or damages an existing one.
///
/// ```swift
/// try SafetensorsWriter.write([
///     .init(name: "lm_head.weight", tensor: weight, dtype: .bfloat16),
///     .init(name: "norm.weight", tensor: norm),                 // stored as F32, its own type
/// ], metadata: ["format": "pt"], to: url)
/// ```
public enum SafetensorsWriter {
    /// One tensor to write: a name, the values (of any element type) and the dtype to store them as.
    public struct Entry {
        /// The header key.
        public let name: String
        /// The stored element type.
        public let dtype: SafetensorsDType
        /// The shape, outermost axis first.
        public let shape: [Int]
        let elementType: String
        let count: Int
        /// Streams the stored bytes to a sink in chunks; `nil` when `elementType` cannot be stored as `dtype`.
        let emit: (((UnsafeRawBufferPointer) throws -> Void) throws -> Void)?

        /// Elements converted per chunk, so narrowing a large tensor needs only a small buffer.
        static let chunkElements = 1 << 16

        /// `tensor` stored as `dtype`; `nil` keeps its own type (`Float` → F32, `Double` → F64, `Float16` → F16,
        /// ``BFloat16`` → BF16, `Int64` → I64, `Int32` → I32).
        ///
        /// Floating-point tensors can be stored as F32, F64, F16 or BF16: narrowing rounds to nearest, ties to
        /// even (`Double` to F16/BF16 rounds through `Float`). Integer tensors are stored only as their own type;
        /// other pairs make ``SafetensorsWriter/write(_:metadata:to:)`` throw.
        public init<Scalar: TensorElement>(name: String, tensor: Tensor<Scalar>, dtype: SafetensorsDType? = nil) {
            let source = SafetensorsDType(Scalar.self)
            let target = dtype ?? source ?? .float32
            self.name = name
            self.dtype = target
            self.shape = tensor.shape
            self.elementType = "\(Scalar.self)"
            self.count = tensor.count
            if source == target {
                emit = { sink in try tensor.withUnsafeScalars { try sink(UnsafeRawBufferPointer($0)) } }
            } else if let source, source.isConvertibleFloatingPoint, target.isConvertibleFloatingPoint {
                emit = { sink in
                    try tensor.withUnsafeScalars { values in
                        let chunk = min(values.count, Entry.chunkElements)
                        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(chunk, 1) * target.byteSize,
                                                                            alignment: 16)
                        defer { buffer.deallocate() }
                        for start in stride(from: 0, to: values.count, by: Entry.chunkElements) {
                            let end = min(start + Entry.chunkElements, values.count)
                            for i in start..<end {
                                SafetensorsConversion.storeFloat(values[i].floatValue, into: buffer, index: i - start,
                                                                 dtype: target)
                            }
                            try sink(UnsafeRawBufferPointer(rebasing: buffer[0..<((end - start) * target.byteSize)]))
                        }
                    }
                }
            } else {
                emit = nil
            }
        }

        /// Raw bytes stored as `U8` with `shape` (bitsandbytes' packed 4-bit codes, 8-bit absmax codes and JSON
        /// quant state are `uint8` tensors).
        public init(name: String, bytes: [UInt8], shape: [Int]) {
            precondition(shape.reduce(1, *) == bytes.count, "\(name): \(bytes.count) bytes for U8 shape \(shape)")
            self.name = name
            self.dtype = .uint8
            self.shape = shape
            self.elementType = "UInt8"
            self.count = bytes.count
            emit = { sink in try bytes.withUnsafeBytes { try sink($0) } }
        }
    }

    /// Writes `entries` and optional `__metadata__` strings to `url`, replacing any file there atomically.
    /// - Throws: ``SafetensorsError/invalidTensorName(path:tensor:reason:)`` for a repeated name or
    ///   `__metadata__`; ``SafetensorsError/unsupportedConversion(path:tensor:from:to:)`` for an entry that cannot
    ///   be stored as its dtype; ``SafetensorsError/writeFailed(path:reason:)`` when the file cannot be written.
    public static func write(_ entries: [Entry], metadata: [String: String]? = nil, to url: URL) throws {
        let path = url.path
        var seen = Set<String>()
        for entry in entries {
            if entry.name == "__metadata__" {
                throw SafetensorsError.invalidTensorName(path: path, tensor: entry.name, reason: "reserved for metadata")
            }
            guard seen.insert(entry.name).inserted else {
                throw SafetensorsError.invalidTensorName(path: path, tensor: entry.name, reason: "used twice")
            }
            if entry.emit == nil {
                throw SafetensorsError.unsupportedConversion(path: path, tensor: entry.name, from: entry.elementType,
                                                             to: entry.dtype.rawValue)
            }
        }
        let ordered = entries.sorted { a, b in
            a.dtype != b.dtype ? a.dtype.alignmentRank > b.dtype.alignmentRank
                : SafetensorsHeaderEncoding.utf8Less(a.name, b.name)
        }
        var offset = 0
        var items: [SafetensorsHeaderEncoding.Item] = []
        for entry in ordered {
            let size = entry.count * entry.dtype.byteSize
            items.append(.init(name: entry.name, dtype: entry.dtype, shape: entry.shape,
                               dataOffsets: offset..<(offset + size)))
            offset += size
        }
        let header = SafetensorsHeaderEncoding.encode(items, metadata: metadata)
        guard header.count <= SafetensorsHeader.maximumLength else {
            throw SafetensorsError.writeFailed(
                path: path, reason: "header of \(header.count) bytes exceeds \(SafetensorsHeader.maximumLength)")
        }
        try AtomicFileWriter.write(to: url) { sink in
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try sink.write($0) }
            try sink.write(header)
            for entry in ordered { try entry.emit!(sink.write) }
        }
    }

    /// Writes same-typed tensors by name, all stored as `dtype` (`nil`: their own type).
    public static func write<Scalar: TensorElement>(_ tensors: [String: Tensor<Scalar>], dtype: SafetensorsDType? = nil,
                                                    metadata: [String: String]? = nil, to url: URL) throws {
        try write(tensors.map { Entry(name: $0.key, tensor: $0.value, dtype: dtype) }, metadata: metadata, to: url)
    }
}
