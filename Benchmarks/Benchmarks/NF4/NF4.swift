// Area "NF4": NF4 quantize / dequantize (GB/s), the fused NF4 matrix–vector product of decode (GB/s of packed
// weight) and the fused NF4 products of training next to sgemm (GFLOP/s), as ordo-one/benchmark suites.
//
//     cd Benchmarks && swift package --allow-writing-to-package-directory benchmark --target NF4Benchmarks
//
// Metrics: wall clock, total CPU, malloc count and bytes (MallocInterposer trait), and around exactly the timed
// call `MB/s` or `MFLOP/s` (work per call as defined in NF4Workloads). Model-level numbers (decode tokens/s, bits
// per parameter, the QLoRA step's peak memory) are measured by nf4-report.
import Benchmark
import NF4Workloads

enum NF4Metric {
    static let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)
    static let mflops = BenchmarkMetric.custom("MFLOP/s", polarity: .prefersLarger, useScalingFactor: false)
}

let benchmarks: @Sendable () -> Void = {
    for workload in NF4Workloads.all {
        let box = InstanceBox()
        let metric: BenchmarkMetric
        if case .flops = workload.work { metric = NF4Metric.mflops } else { metric = NF4Metric.megabytesPerSecond }
        Benchmark(
            workload.name,
            configuration: .init(
                metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .mallocBytesCount, metric],
                units: [metric: .count],
                warmupIterations: 2,
                maxDuration: .seconds(3),
                maxIterations: 30,
                setup: { box.instance = workload.make() },
                teardown: { box.instance = nil }
            )
        ) { benchmark in
            guard let instance = box.instance else { return benchmark.error("no instance") }
            instance.prepare()
            benchmark.startMeasurement()
            let start = monotonicSeconds()
            instance.run()
            let seconds = monotonicSeconds() - start
            benchmark.stopMeasurement()
            benchmark.measurement(metric, Int((workload.work.rate(seconds: seconds) * 1000).rounded()))
        }
    }
}
