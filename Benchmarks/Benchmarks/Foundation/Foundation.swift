// Area "Foundation": dense matmul at the SmolLM-135M shapes (next to raw cblas_sgemm on the same buffers) and the
// fused / elementwise kernels, as ordo-one/benchmark suites.
//
//     cd Benchmarks && swift package --allow-writing-to-package-directory benchmark --target FoundationBenchmarks
//
// Metrics: wall clock, total CPU, malloc count and bytes (from the MallocInterposer trait), and custom metrics
// taken around exactly the timed call:
// - `MFLOP/s` (matmul) or `MB/s` (memory-bound kernels): work per call / time of that call.
// - matmul only: `raw sgemm MFLOP/s`, the same product by a direct `cblas_sgemm` into a preallocated output,
//   run untimed-by-the-suite just before each measured iteration, and `ours/raw ‰` (1000 = parity; goal ≥ 950).
// - `peak RSS (MB)` / `peak RSS Δ (MB)` (Linux): the resident high-water mark during the call, reset before it
//   through /proc/self/clear_refs, absolute and above the resident size at the start of the call.
// The built-in `.peakMemoryResident` metrics are left out by default: they sample /proc from a background thread
// every 10 ms, a third busy thread on a 2-core machine where OpenBLAS and CKernels use one compute thread per core
// (seen at ~40% of a core in `top`; in A/B runs its cost was within the noise, 0–15%). Set
// FOUNDATION_BENCH_OS_SAMPLING=1 to add them back.
// The workloads themselves are in Sources/FoundationWorkloads (shared with `foundation-report`).
import Benchmark
import FoundationWorkloads
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum FoundationMetric {
    static let mflops = BenchmarkMetric.custom("MFLOP/s", polarity: .prefersLarger, useScalingFactor: false)
    static let rawMflops = BenchmarkMetric.custom("raw sgemm MFLOP/s", polarity: .prefersLarger, useScalingFactor: false)
    static let ratio = BenchmarkMetric.custom("ours/raw ‰", polarity: .prefersLarger, useScalingFactor: false)
    static let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)
    static let peakRSS = BenchmarkMetric.custom("peak RSS (MB)", polarity: .prefersSmaller, useScalingFactor: false)
    static let peakRSSDelta = BenchmarkMetric.custom("peak RSS Δ (MB)", polarity: .prefersSmaller, useScalingFactor: false)
}

let benchmarks: @Sendable () -> Void = {
    var common: [BenchmarkMetric] = [
        .wallClock, .cpuTotal, .mallocCountTotal, .mallocBytesCount,
        FoundationMetric.peakRSS, FoundationMetric.peakRSSDelta,
    ]
    // FOUNDATION_BENCH_OS_SAMPLING=1 adds the library's sampled metrics (and its sampling thread) back.
    if getenv("FOUNDATION_BENCH_OS_SAMPLING") != nil {
        common += [.peakMemoryResident, .peakMemoryResidentDelta]
    }

    for workload in FoundationWorkloads.all {
        let box = InstanceBox()
        let isMatmul: Bool
        if case .flops = workload.work { isMatmul = true } else { isMatmul = false }
        let custom: [BenchmarkMetric] = isMatmul
            ? [FoundationMetric.mflops, FoundationMetric.rawMflops, FoundationMetric.ratio]
            : [FoundationMetric.megabytesPerSecond]

        Benchmark(
            workload.name,
            configuration: .init(
                metrics: common + custom,
                units: Dictionary(uniqueKeysWithValues: (custom + [FoundationMetric.peakRSS, FoundationMetric.peakRSSDelta])
                    .map { ($0, BenchmarkUnits.count) }),
                warmupIterations: 2,
                maxDuration: .seconds(3),
                maxIterations: 30,
                setup: { box.instance = workload.make() },
                teardown: { box.instance = nil }
            )
        ) { benchmark in
            guard let instance = box.instance else { return benchmark.error("no instance") }
            instance.prepare()
            var referenceSeconds: Double?
            if let reference = instance.reference {
                let start = monotonicSeconds()
                reference()
                referenceSeconds = monotonicSeconds() - start
            }

            let residentBefore = ResidentMemory.resetPeak()

            benchmark.startMeasurement()
            let start = monotonicSeconds()
            instance.run()
            let seconds = monotonicSeconds() - start
            benchmark.stopMeasurement()

            if let residentBefore, let peak = ResidentMemory.peak {
                benchmark.measurement(FoundationMetric.peakRSS, (peak + 512) / 1024)
                benchmark.measurement(FoundationMetric.peakRSSDelta, (max(0, peak - residentBefore) + 512) / 1024)
            }

            let rate = workload.work.rate(seconds: seconds)   // GFLOP/s or GB/s
            if isMatmul {
                benchmark.measurement(FoundationMetric.mflops, Int((rate * 1000).rounded()))
                if let referenceSeconds {
                    let raw = workload.work.rate(seconds: referenceSeconds)
                    benchmark.measurement(FoundationMetric.rawMflops, Int((raw * 1000).rounded()))
                    benchmark.measurement(FoundationMetric.ratio, Int((1000 * rate / raw).rounded()))
                }
            } else {
                benchmark.measurement(FoundationMetric.megabytesPerSecond, Int((rate * 1000).rounded()))
            }
        }
    }
}
