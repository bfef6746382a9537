import CKernels
import COpenBLAS
import Foundation

/// sgemm on CKernels' thread pool: the larger of the output's two extents is cut into one slab per thread and each
/// thread runs a single-threaded OpenBLAS sgemm on its slab.
///
/// Why: OpenBLAS (pthreads build) and CKernels (libgomp) each keep a pool of worker threads, and a training step
/// alternates between them thousands of times. On a 2-core machine an idle OpenBLAS worker spins (sched_yield)
/// while a libgomp worker wants its core and vice versa. With OpenBLAS kept at one thread there is one pool.
/// The slabs duplicate the packing of the operand that is not split (each thread packs all of it).
struct SplitGemm {
    var transposeA: Bool, transposeB: Bool
    var m: Int, n: Int, k: Int
    var alpha: Float, beta: Float
    var a: UnsafePointer<Float>, lda: Int
    var b: UnsafePointer<Float>, ldb: Int
    var c: UnsafeMutablePointer<Float>, ldc: Int
    var splitRows: Bool
    var parts: Int

    /// Rows (or columns) of slab `part`: multiples of 16 so that every slab but the last fills whole micro-tiles.
    func bounds(_ part: Int) -> Range<Int> {
        let extent = splitRows ? m : n
        let step = ((extent + parts - 1) / parts + 15) / 16 * 16
        return min(extent, part * step)..<min(extent, (part + 1) * step)
    }

    func run(part: Int) {
        let r = bounds(part)
        guard !r.isEmpty else { return }
        let ta = transposeA ? CblasTrans : CblasNoTrans
        let tb = transposeB ? CblasTrans : CblasNoTrans
        if splitRows {   // C[r, :] = op(A)[r, :] · op(B)
            let aPart = transposeA ? a + r.lowerBound : a + r.lowerBound * lda
            cblas_sgemm(CblasRowMajor, ta, tb, blasint(r.count), blasint(n), blasint(k), alpha, aPart, blasint(lda),
                        b, blasint(ldb), beta, c + r.lowerBound * ldc, blasint(ldc))
        } else {         // C[:, r] = op(A) · op(B)[:, r]
            let bPart = transposeB ? b + r.lowerBound * ldb : b + r.lowerBound
            cblas_sgemm(CblasRowMajor, ta, tb, blasint(m), blasint(r.count), blasint(k), alpha, a, blasint(lda),
                        bPart, blasint(ldb), beta, c + r.lowerBound, blasint(ldc))
        }
    }

    /// Whether splitting is on (`SWIFTTUNE_SPLIT_GEMM=0` turns it off: OpenBLAS threads as before).
    /// Reading it the first time sets OpenBLAS to one thread when splitting is on.
    static let enabled: Bool = {
        let on = ProcessInfo.processInfo.environment["SWIFTTUNE_SPLIT_GEMM"] != "0"
        if on { openblas_set_num_threads(1) }
        return on
    }()
    /// Below this many multiply-adds a product runs on one thread.
    static let minimumWork = 1 << 18

    /// Slabs per product: the process' default thread count (`OMP_NUM_THREADS`, else the online CPUs), at most 8.
    /// Fixed for the process, because OpenBLAS rounds a product cut into slabs differently from the whole (a few
    /// ulps in some elements): tying the cut to the thread count *at the time of the call* would make a result
    /// depend on `Runtime.threadCount`. With fewer threads than slabs, a thread runs several slabs in turn.
    static let slabs: Int = {
        let environment = ProcessInfo.processInfo.environment["OMP_NUM_THREADS"].flatMap { Int($0) }
        return min(8, max(1, environment ?? ProcessInfo.processInfo.activeProcessorCount))
    }()

    /// Runs the product as `parts` slabs on CKernels' threads; returns false when it is too small to split (the
    /// caller runs it whole).
    static func run(_ job: inout SplitGemm, parts: Int = slabs) -> Bool {
        guard parts > 1, job.m * job.n * job.k >= minimumWork, max(job.m, job.n) >= 32 else { return false }
        job.splitRows = job.m >= job.n
        job.parts = parts
        withUnsafeMutablePointer(to: &job) { pointer in
            st_parallel_for(Int64(parts), 1, { context, begin, end in
                let job = context!.assumingMemoryBound(to: SplitGemm.self)
                for part in Int(begin)..<Int(end) { job.pointee.run(part: part) }
            }, pointer)
        }
        return true
    }
}
