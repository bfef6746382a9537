/// Process-wide execution settings.
public enum Runtime {
    /// Threads used by CKernels (elementwise, normalisation, loss kernels) and by matrix products.
    /// Defaults to `OMP_NUM_THREADS` when set, else the number of online CPUs.
    ///
    /// Matrix products run on CKernels' (libgomp) threads too: each thread calls a single-threaded OpenBLAS sgemm
    /// on its slab of the output, so the process keeps one pool of workers instead of two that spin against each
    /// other. SwiftTune therefore sets OpenBLAS to one thread at its first product; `SWIFTTUNE_SPLIT_GEMM=0` in the
    /// environment restores OpenBLAS' own threading (with this many threads).
    public static var threadCount: Int {
        get { Kernels.threadCount }
        set {
            Kernels.threadCount = newValue
            Kernels.blasThreadCount = SplitGemm.enabled ? 1 : newValue
        }
    }

    /// Bytes of freed large tensor buffers kept for reuse (default an eighth of physical memory, clamped to
    /// 1…4 GiB, or `SWIFTTUNE_BUFFER_CACHE_MB`); reuse avoids a page fault per 4 KiB on every large temporary.
    /// Setting it drops what is cached.
    public static var bufferCacheBytes: Int {
        get { BufferCache.capacity }
        set { BufferCache.drain(); BufferCache.capacity = max(0, newValue) }
    }

    /// Bytes held by live tensor buffers right now (memory-mapped checkpoint weights excluded; buffers kept by
    /// the reuse cache after their tensor died are not live).
    public static var tensorBytes: Int { BufferCache.liveAndPeak.live }

    /// The most bytes live tensors held at once since the last ``resetPeakTensorBytes()`` (or process start):
    /// the peak memory of a computation, independent of what the allocator keeps mapped.
    public static var peakTensorBytes: Int { BufferCache.liveAndPeak.peak }

    /// Restarts ``peakTensorBytes`` at the current ``tensorBytes`` and returns that value.
    @discardableResult
    public static func resetPeakTensorBytes() -> Int { BufferCache.resetPeak() }

    /// Whether CKernels uses its AVX2/FMA paths on this CPU.
    public static var usesVectorKernels: Bool { Kernels.hasFastPaths }
}
