import Foundation

/// Reuses large tensor buffers instead of returning them to the system.
///
/// glibc serves allocations of ≥ 128 KiB with fresh `mmap`s and unmaps them on free, so every large temporary
/// (logits, activations, gradients) pays a page fault per 4 KiB on first write — measured at 3–4× the cost of the
/// memory-bound kernel that writes it (Benchmarks/README.md). Training and decoding allocate the same shapes every
/// step, so freed buffers of ≥ 1 MiB are kept by exact size, up to ``capacity`` bytes in total, and handed out
/// again with their pages already mapped.
///
/// Every tensor buffer passes through here, so this is also where live tensor bytes and their high-water mark are
/// counted (``Runtime/tensorBytes``, ``Runtime/peakTensorBytes``).
enum BufferCache {
    static let minimumBytes = 1 << 20
    /// Most bytes kept: an eighth of physical memory, clamped to 1…4 GiB (3 GiB on a 24 GiB machine);
    /// `SWIFTTUNE_BUFFER_CACHE_MB` overrides, 0 disables. A full fine-tuning step of SmolLM-135M frees and
    /// re-requests ~1.5 GB of buffers (gradients, activations, logits); with 1 GiB it page-faulted ~0.5 GB of fresh
    /// pages per step (3.27 s/step; 3.00 s with 3 GiB). Cached buffers are ones a step just used, so the peak
    /// resident memory is that of the step itself plus at most the mismatch between consecutive steps' sizes.
    nonisolated(unsafe) static var capacity: Int = {
        if let text = ProcessInfo.processInfo.environment["SWIFTTUNE_BUFFER_CACHE_MB"], let mb = Int(text) { return max(0, mb) << 20 }
        let eighth = Int(ProcessInfo.processInfo.physicalMemory / 8)
        return min(4 << 30, max(1 << 30, eighth))
    }()
    nonisolated(unsafe) private static var buffers: [Int: [UnsafeMutableRawPointer]] = [:]
    nonisolated(unsafe) private static var cached = 0
    private static let lock = NSLock()

    /// Bytes held by live tensors (allocated and not yet released), and their high-water mark.
    nonisolated(unsafe) private static var liveBytes = 0
    nonisolated(unsafe) private static var peakLiveBytes = 0

    /// Live bytes and their high-water mark, read together under the lock.
    static var liveAndPeak: (live: Int, peak: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (liveBytes, peakLiveBytes)
    }

    /// Restarts the high-water mark at the current live bytes; returns them.
    static func resetPeak() -> Int {
        lock.lock()
        defer { lock.unlock() }
        peakLiveBytes = liveBytes
        return liveBytes
    }

    /// A 64-byte-aligned buffer of `bytes`, reused when one of that size is cached.
    static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        lock.lock()
        liveBytes += bytes
        if liveBytes > peakLiveBytes { peakLiveBytes = liveBytes }
        if bytes >= minimumBytes, var list = buffers[bytes], let buffer = list.popLast() {
            buffers[bytes] = list.isEmpty ? nil : list
            cached -= bytes
            lock.unlock()
            return buffer
        }
        lock.unlock()
        return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    }

    /// Returns a buffer from ``allocate(bytes:)``: cached when it is large and there is room, else freed.
    static func release(_ buffer: UnsafeMutableRawPointer, bytes: Int) {
        lock.lock()
        liveBytes -= bytes
        guard bytes >= minimumBytes, bytes <= capacity else {
            lock.unlock()
            return buffer.deallocate()
        }
        var evicted: [UnsafeMutableRawPointer] = []
        // Make room by dropping buffers of other sizes (largest first).
        while cached + bytes > capacity, let size = buffers.keys.max() {
            var list = buffers[size]!
            evicted.append(list.removeLast())
            cached -= size
            buffers[size] = list.isEmpty ? nil : list
        }
        buffers[bytes, default: []].append(buffer)
        cached += bytes
        lock.unlock()
        evicted.forEach { $0.deallocate() }
    }

    /// Frees every cached buffer.
    static func drain() {
        lock.lock()
        let all = buffers.values.flatMap { $0 }
        buffers = [:]
        cached = 0
        lock.unlock()
        all.forEach { $0.deallocate() }
    }
}
