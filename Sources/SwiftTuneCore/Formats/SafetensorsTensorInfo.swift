/// Where one tensor lives in a safetensors file, as its header describes it (after validation).
public struct SafetensorsTensorInfo: Sendable, Hashable {
    /// The tensor's name (a header key).
    public let name: String
    /// The stored element type.
    public let dtype: SafetensorsDType
    /// The extent of each axis, outermost first; `[]` for a scalar.
    public let shape: [Int]
    /// The byte range inside the data section (which starts right after the header).
    public let dataOffsets: Range<Int>

    /// Number of elements (1 for a scalar).
    public var elementCount: Int { Shape.count(shape) }
}
