/// A safetensors file, shard index or write that could not be used. Every case names the file (`path`) and,
/// where one is involved, the tensor.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened, measured or mapped (`reason` is the system's message).
    case cannotOpen(path: String, reason: String)
    /// The file is shorter than the 8-byte header length.
    case truncated(path: String, fileSize: Int)
    /// The header length is larger than the file allows or than the 100 MB limit (`limit` is the smaller of the two).
    case headerLengthOutOfBounds(path: String, length: UInt64, limit: Int)
    /// The header is not UTF-8 JSON of the expected form.
    case invalidHeader(path: String, reason: String)
    /// A tensor's `"dtype"` is not one SwiftTune knows.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// A negative extent, or an element count that overflows `Int`.
    case invalidShape(path: String, tensor: String, shape: [Int])
    /// `data_offsets` span a different number of bytes than dtype size × element count.
    case byteCountMismatch(path: String, tensor: String, dtype: SafetensorsDType, shape: [Int], expected: Int, actual: Int)
    /// `data_offsets` are reversed, negative or past the end of the data section.
    case offsetsOutOfBounds(path: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    /// Two tensors claim some of the same bytes.
    case overlappingTensors(path: String, first: String, second: String)
    /// No tensor of this name in the file (or in the shard index).
    case tensorNotFound(path: String, tensor: String)
    /// The stored dtype cannot be read as (or written from) the requested element type.
    case unsupportedConversion(path: String, tensor: String, from: String, to: String)
    /// The shard index is not the JSON expected, or names a shard outside its directory.
    case invalidIndex(path: String, reason: String)
    /// The shard the index names for `tensor` could not be opened; `underlying` describes why.
    case missingShard(index: String, shard: String, tensor: String, underlying: String)
    /// The shard the index names for `tensor` exists but does not hold it.
    case tensorNotInShard(index: String, shard: String, tensor: String)
    /// The writer was given a name twice, or the reserved name `__metadata__`.
    case invalidTensorName(path: String, tensor: String, reason: String)
    /// The output could not be written; an existing file at `path` is unchanged.
    case writeFailed(path: String, reason: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case let .cannotOpen(path, _), let .truncated(path, _), let .headerLengthOutOfBounds(path, _, _),
             let .invalidHeader(path, _), let .unknownDType(path, _, _), let .invalidShape(path, _, _),
             let .byteCountMismatch(path, _, _, _, _, _), let .offsetsOutOfBounds(path, _, _, _, _),
             let .overlappingTensors(path, _, _), let .tensorNotFound(path, _),
             let .unsupportedConversion(path, _, _, _), let .invalidIndex(path, _),
             let .invalidTensorName(path, _, _), let .writeFailed(path, _):
            return path
        case let .missingShard(index, _, _, _), let .tensorNotInShard(index, _, _):
            return index
        }
    }

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "\(path): cannot open: \(reason)"
        case let .truncated(path, size):
            return "\(path): truncated: \(size) bytes, fewer than the 8-byte header length"
        case let .headerLengthOutOfBounds(path, length, limit):
            return "\(path): header length \(length) exceeds the limit \(limit)"
        case let .invalidHeader(path, reason):
            return "\(path): invalid header: \(reason)"
        case let .unknownDType(path, tensor, dtype):
            return "\(path): tensor '\(tensor)': unknown dtype '\(dtype)'"
        case let .invalidShape(path, tensor, shape):
            return "\(path): tensor '\(tensor)': invalid shape \(shape)"
        case let .byteCountMismatch(path, tensor, dtype, shape, expected, actual):
            return "\(path): tensor '\(tensor)': \(dtype) \(shape) needs \(expected) bytes, data_offsets span \(actual)"
        case let .offsetsOutOfBounds(path, tensor, begin, end, dataSize):
            return "\(path): tensor '\(tensor)': data_offsets [\(begin), \(end)] "
                + "outside the data section of \(dataSize) bytes"
        case let .overlappingTensors(path, first, second):
            return "\(path): tensors '\(first)' and '\(second)' overlap"
        case let .tensorNotFound(path, tensor):
            return "\(path): no tensor '\(tensor)'"
        case let .unsupportedConversion(path, tensor, from, to):
            return "\(path): tensor '\(tensor)': cannot convert \(from) to \(to)"
        case let .invalidIndex(path, reason):
            return "\(path): invalid shard index: \(reason)"
        case let .missingShard(index, shard, tensor, underlying):
            return "\(index): shard '\(shard)' for tensor '\(tensor)' cannot be opened: \(underlying)"
        case let .tensorNotInShard(index, shard, tensor):
            return "\(index): shard '\(shard)' does not contain tensor '\(tensor)'"
        case let .invalidTensorName(path, tensor, reason):
            return "\(path): tensor name '\(tensor)': \(reason)"
        case let .writeFailed(path, reason):
            return "\(path): write failed: \(reason)"
        }
    }
}
