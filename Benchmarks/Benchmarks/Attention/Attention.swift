// Area "Attention": the tiled attention kernel forward + backward against the dense masked-softmax reference at
// T = 512, 2048, 8192 (9 heads, 3 KV heads, D 64), and packed vs separate vs padded rows on a mixed-length set,
// attention alone and through a SmolLM-135M decoder layer, as ordo-one/benchmark suites.
//
//     cd Benchmarks && swift package --allow-writing-to-package-directory benchmark --target AttentionBenchmarks
//
// Metrics: wall clock, total CPU, malloc count and bytes (MallocInterposer trait), and around exactly the timed
// call: `useful MFLOP/s` (14·D·H per visible query-key pair, see AttentionWorkloads) and `peak tensor MB`, the
// most bytes SwiftTuneCore's live tensors held at once during the call above what was live at its start
// (Runtime.peakTensorBytes; 1 MB = 10⁶ bytes).
// The ratios with goals (packed / separate, padded / packed, dense / tiled memory) are printed by attention-report.
import Benchmark
import AttentionWorkloads
import SwiftTuneCore

enum AttentionMetric {
    static let mflops = BenchmarkMetric.custom("useful MFLOP/s", polarity: .prefersLarger, useScalingFactor: false)
    static let peakTensorMemory = BenchmarkMetric.custom("peak tensor MB", polarity: .prefersSmaller, useScalingFactor: false)
}

let benchmarks: @Sendable () -> Void = {
    let custom = [AttentionMetric.mflops, AttentionMetric.peakTensorMemory]
    for workload in AttentionWorkloads.all() {
        let box = InstanceBox()
        let heavy = workload.name.contains("8192")
        Benchmark(
            workload.name,
            configuration: .init(
                metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .mallocBytesCount] + custom,
                units: Dictionary(uniqueKeysWithValues: custom.map { ($0, BenchmarkUnits.count) }),
                warmupIterations: 1,
                maxDuration: .seconds(heavy ? 20 : 3),
                maxIterations: heavy ? 3 : 20,
                setup: { box.instance = workload.make() },
                teardown: { box.instance = nil }
            )
        ) { benchmark in
            guard let instance = box.instance else { return benchmark.error("no instance") }
            instance.prepare()
            let before = Runtime.resetPeakTensorBytes()
            benchmark.startMeasurement()
            let start = monotonicSeconds()
            instance.run()
            let seconds = monotonicSeconds() - start
            benchmark.stopMeasurement()
            benchmark.measurement(AttentionMetric.peakTensorMemory, (max(0, Runtime.peakTensorBytes - before) + 500_000) / 1_000_000)
            benchmark.measurement(AttentionMetric.mflops, Int((workload.work.rate(seconds: seconds) * 1000).rounded()))
        }
    }
}
