import CKernels

/// The bridge to CKernels and BLAS: the only place in SwiftTuneCore that imports C modules.
///
/// Each function is generic over the scalar type. `Float` runs the C kernel (AVX2/FMA when the CPU has it,
/// threaded over libgomp); other scalars (`Double`, used for gradient checks) run the portable Swift loop
/// written beside it, which doubles as an independent reference for the C code.
enum Kernels {
    /// Threads that CKernels uses for elementwise and row kernels.
    static var threadCount: Int {
        get { Int(st_get_num_threads()) }
        set { st_set_num_threads(Int32(max(1, newValue))) }
    }

    /// Whether the CPU has the AVX2 + FMA fast paths.
    static var hasFastPaths: Bool { st_cpu_has_avx2_fma() != 0 }

    /// Enables or disables the AVX2/FMA paths (for tests and benchmarks).
    static func setFastPathsEnabled(_ enabled: Bool) { st_set_fast_paths_enabled(enabled ? 1 : 0) }
}

@inline(__always)
func floats<S>(_ p: UnsafePointer<S>) -> UnsafePointer<Float> {
    UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
}

@inline(__always)
func floats<S>(_ p: UnsafeMutablePointer<S>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}

@inline(__always)
func floats<S>(_ p: UnsafePointer<S>?) -> UnsafePointer<Float>? {
    p.map { UnsafeRawPointer($0).assumingMemoryBound(to: Float.self) }
}

@inline(__always)
func floats<S>(_ p: UnsafeMutablePointer<S>?) -> UnsafeMutablePointer<Float>? {
    p.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Float.self) }
}
