import Foundation

/// Keys and values of every layer for the tokens generated so far, laid out for the decode kernels.
///
/// Per layer: keys and values `[B, KV, capacity, D]` (head-major, so one head's keys are contiguous and a decode
/// step streams them once). The B slots are the rows of a ``DecodingSession``; slot b holds `lengths[b]` valid
/// positions. Memory: 2 · L · B · KV · capacity · D floats, allocated once.
public final class KVCache {
    public let batchSize: Int
    public let capacity: Int
    public let keyValueHeads: Int
    public let headDimension: Int
    /// Valid positions per row.
    public private(set) var lengths: [Int]
    var keys: [Tensor<Float>]
    var values: [Tensor<Float>]

    /// An empty cache for a model's configuration.
    /// - Throws: ``ModelInputError`` when `batchSize` < 1, `capacity` is outside `1...max_position_embeddings`, or the
    ///   cache (computed with overflow checks) would exceed physical memory.
    public init(configuration c: ModelConfiguration, batchSize: Int, capacity: Int) throws {
        guard batchSize >= 1 else {
            throw ModelInputError.invalidGenerationSetting(name: "batch size", value: "\(batchSize)", requirement: "must be at least 1")
        }
        guard capacity >= 1 && capacity <= c.maxPositions else {
            throw ModelInputError.invalidGenerationSetting(
                name: "KV cache capacity", value: "\(capacity)", requirement: "must be in 1...\(c.maxPositions) (max_position_embeddings)")
        }
        let memory = ProcessInfo.processInfo.physicalMemory
        let bytes = KVCache.bytes(configuration: c, batchSize: batchSize, capacity: capacity)
        guard let bytes, bytes <= memory else {
            throw ModelInputError.exceedsMemory(what: "a KV cache for \(batchSize) rows of \(capacity) positions",
                                                bytes: bytes, physicalMemory: memory)
        }
        self.batchSize = batchSize
        self.capacity = capacity
        keyValueHeads = c.keyValueHeads
        headDimension = c.headDimension
        lengths = [Int](repeating: 0, count: batchSize)
        let shape = [batchSize, c.keyValueHeads, capacity, c.headDimension]
        keys = (0..<c.layerCount).map { _ in Tensor<Float>.zeros(shape) }
        values = (0..<c.layerCount).map { _ in Tensor<Float>.zeros(shape) }
    }

    /// 2 · L · B · KV · capacity · D · 4 bytes, or `nil` when that overflows.
    static func bytes(configuration c: ModelConfiguration, batchSize: Int, capacity: Int) -> UInt64? {
        var total: UInt64 = 8
        for factor in [c.layerCount, batchSize, c.keyValueHeads, capacity, c.headDimension] {
            guard factor >= 0 else { return nil }
            let (product, overflow) = total.multipliedReportingOverflow(by: UInt64(factor))
            if overflow { return nil }
            total = product
        }
        return total
    }

    /// Writes one new position per row: row b of `key`, `value` `[B, 1, KV, D]` goes to slot `slots[b]` at position
    /// `positions[b]`.
    func write(layer: Int, key: Tensor<Float>, value: Tensor<Float>, slots: [Int], positions: [Int]) {
        for b in slots.indices {
            write(layer: layer, key: key, value: value, sourceRow: b, count: 1, slot: slots[b], offset: positions[b])
        }
    }

    /// Writes a chunk of one row: `key`, `value` `[1, T, KV, D]` to slot `slot` at positions `offset ..< offset + T`.
    func writeChunk(layer: Int, key: Tensor<Float>, value: Tensor<Float>, slot: Int, offset: Int) {
        write(layer: layer, key: key, value: value, sourceRow: 0, count: key.shape[1], slot: slot, offset: offset)
    }

    /// Copies `count` positions of row `sourceRow` of `[·, count, KV, D]` tensors into `slot` from `offset` on.
    private func write(layer: Int, key: Tensor<Float>, value: Tensor<Float>, sourceRow: Int, count: Int, slot: Int,
                       offset: Int) {
        let (KV, D, capacity) = (keyValueHeads, headDimension, capacity)
        let T = key.shape[1]
        for (kind, source) in [(0, key), (1, value)] {
            let copy: (UnsafeMutableBufferPointer<Float>) -> Void = { dst in
                source.withUnsafeScalars { src in
                    for t in 0..<count { for h in 0..<KV {
                        let from = ((sourceRow * T + t) * KV + h) * D
                        let to = ((slot * KV + h) * capacity + offset + t) * D
                        (dst.baseAddress! + to).update(from: src.baseAddress! + from, count: D)
                    } }
                }
            }
            if kind == 0 { keys[layer].withUnsafeMutableScalars(copy) } else { values[layer].withUnsafeMutableScalars(copy) }
        }
    }

    /// Records that slot `slot` holds `length` valid positions.
    func setLength(_ length: Int, slot: Int) { lengths[slot] = length }
}
