import Foundation

/// Keys and values of every layer for the tokens generated so far, laid out for the decode kernel.
///
/// Per layer: keys and values `[B, KV, capacity, D]` (head-major, so one head's keys are contiguous and a decode
/// step streams them once). Row b holds `lengths[b]` valid positions. Memory: 2 · L · B · KV · capacity · D floats.
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

    /// Writes `count[b]` new positions of row b (from `[B, T, KV, D]` key/value tensors) after its current length.
    func write(layer: Int, key: Tensor<Float>, value: Tensor<Float>, counts: [Int]) {
        let (T, KV, D) = (key.shape[1], keyValueHeads, headDimension)
        precondition(key.shape == [batchSize, T, KV, D] && value.shape == key.shape,
                     "cache write: key \(key.shape) for cache [\(batchSize), \(KV), \(capacity), \(D)]")
        for (kind, source) in [(0, key), (1, value)] {
            let write: (UnsafeMutableBufferPointer<Float>) -> Void = { dst in
                source.withUnsafeScalars { src in
                    for b in 0..<self.batchSize {
                        precondition(self.lengths[b] + counts[b] <= self.capacity, "KV cache of capacity \(self.capacity) is full")
                        for t in 0..<counts[b] { for h in 0..<KV {
                            let from = ((b * T + t) * KV + h) * D
                            let to = ((b * KV + h) * self.capacity + self.lengths[b] + t) * D
                            (dst.baseAddress! + to).update(from: src.baseAddress! + from, count: D)
                        } }
                    }
                }
            }
            if kind == 0 { keys[layer].withUnsafeMutableScalars(write) } else { values[layer].withUnsafeMutableScalars(write) }
        }
    }

    /// Marks `counts[b]` more positions of row b valid (after every layer has written them).
    func advance(by counts: [Int]) {
        for b in 0..<batchSize { lengths[b] += counts[b] }
    }
}
