/// Process-wide execution settings.
public enum Runtime {
    /// Threads used by CKernels (elementwise, normalisation, loss kernels) and by OpenBLAS.
    /// Defaults to `OMP_NUM_THREADS` when set, else the number of online CPUs.
    public static var threadCount: Int {
        get { Kernels.threadCount }
        set {
            Kernels.threadCount = newValue
            Kernels.blasThreadCount = newValue
        }
    }

    /// Whether CKernels uses its AVX2/FMA paths on this CPU.
    public static var usesVectorKernels: Bool { Kernels.hasFastPaths }
}
