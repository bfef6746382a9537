// attention-report: the Attention area (Sources/AttentionWorkloads) timed by a plain monotonic clock, with the
// peak resident memory of one call and the ratios the attention issue sets goals for. One JSON line per workload
// on stdout, then one "summary" line; a table on stderr.
//
//     attention-report [--reps N] [--dense-limit T] [--filter TEXT] [--threads N]
//
// --reps N          timed calls after one warm-up call (default 3); the median is reported, the best next to it.
// --dense-limit T   run the dense reference only up to length T (default 8192; at 8192 it needs ~10 GB).
// --filter TEXT     only workloads whose name contains TEXT.
//
// Peak memory: after the timed calls one more call runs with SwiftTuneCore's live-tensor high-water mark reset
// (Runtime.resetPeakTensorBytes); `peak_mb` is the most tensor bytes the forward and backward held at once above
// what was live before (the inputs), 1 MB = 10⁶ bytes. The C kernels' own per-thread tile scratch is not included.
import Foundation
import AttentionWorkloads
import SwiftTuneCore

var reps = 3
var denseLimit = 8192
var filter: String?
var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
    let flag = args.removeFirst()
    guard !args.isEmpty else { fatalError("\(flag) needs a value") }
    let value = args.removeFirst()
    switch flag {
    case "--reps": reps = max(1, Int(value) ?? 3)
    case "--dense-limit": denseLimit = Int(value) ?? 8192
    case "--filter": filter = value
    case "--threads": Runtime.threadCount = Int(value) ?? Runtime.threadCount
    default: fatalError("unknown option \(flag)")
    }
}

struct Result {
    let workload: Workload
    let median: Double
    let best: Double
    let peakBytes: Int?
}

var load = [Double](repeating: 0, count: 3)
_ = getloadavg(&load, 3)
print(jsonLine([("type", "context"), ("threads", Runtime.threadCount), ("openblas_threads", openBLASThreads),
            ("openblas_core", openBLASCore), ("reps", reps), ("load_average_1m", load[0])]))

var results: [String: Result] = [:]
let workloads = AttentionWorkloads.all(denseLimit: denseLimit).filter { filter == nil || $0.name.contains(filter!) }
for workload in workloads {
    FileHandle.standardError.write(Data("attention-report: \(workload.name)\n".utf8))
    var instance: Instance? = workload.make()
    instance!.prepare()
    instance!.run()
    var times: [Double] = []
    for _ in 0..<reps {
        instance!.prepare()
        let start = monotonicSeconds()
        instance!.run()
        times.append(monotonicSeconds() - start)
    }
    instance!.prepare()
    let peak: Int? = ResidentMemory.peakTensorIncrease { instance!.run() }
    instance = nil
    times.sort()
    let result = Result(workload: workload, median: times[times.count / 2], best: times[0], peakBytes: peak)
    results[workload.name] = result
    print(jsonLine([("type", "workload"), ("name", workload.name), ("kind", workload.kind), ("shape", workload.shape),
                ("median_ms", result.median * 1000), ("best_ms", result.best * 1000),
                ("useful_gflops", workload.work.rate(seconds: result.median)),
                ("peak_mb", peak.map { Double($0) / 1e6 })]))
    fflush(stdout)
}

// MARK: - Ratios the issue sets goals for

func ratio(_ a: String, _ b: String, _ value: (Result) -> Double?) -> Double? {
    guard let x = results[a].flatMap(value), let y = results[b].flatMap(value), y > 0 else { return nil }
    return x / y
}
var summary: [(String, Any?)] = [("type", "summary")]
for t in AttentionWorkloads.lengths {
    let tiled = "attention fwd+bwd T=\(t)", dense = "dense attention fwd+bwd T=\(t)"
    summary.append(("tiled_peak_bytes_per_token_T\(t)", results[tiled]?.peakBytes.map { Double($0) / Double(t) }))
    summary.append(("dense_over_tiled_time_T\(t)", ratio(dense, tiled) { $0.median }))
    summary.append(("dense_over_tiled_memory_T\(t)", ratio(dense, tiled) { $0.peakBytes.map(Double.init) }))
}
let packed = "packed 1x2048 (8 samples)"
summary.append(("packed_over_separate_time", ratio(packed, "separate 8 rows") { $0.median }))
summary.append(("padded_skipping_over_packed_time", ratio("padded 8x512, pad tiles skipped", packed) { $0.median }))
summary.append(("padded_computed_over_packed_time", ratio("padded 8x512, pads computed", packed) { $0.median }))
summary.append(("layer_packed_over_separate_time", ratio("layer packed 1x2048", "layer separate 8 rows") { $0.median }))
summary.append(("layer_padded_over_packed_time", ratio("layer padded 8x512", "layer packed 1x2048") { $0.median }))
print(jsonLine(summary))

// The table.
var table = String(format: "\n%-40@ %11@ %11@ %9@ %10@\n", "workload" as NSString, "median ms" as NSString,
                   "best ms" as NSString, "GFLOP/s" as NSString, "peak MB" as NSString)
for workload in workloads {
    guard let r = results[workload.name] else { continue }
    table += String(format: "%-40@ %11.2f %11.2f %9.1f %10@\n", workload.name as NSString, r.median * 1000, r.best * 1000,
                    workload.work.rate(seconds: r.median),
                    (r.peakBytes.map { String(format: "%.1f", Double($0) / 1e6) } ?? "-") as NSString)
}
for (key, value) in summary.dropFirst() {
    if let v = value as? Double { table += String(format: "%-44@ %.3f\n", key as NSString, v) }
}
FileHandle.standardError.write(Data(table.utf8))
