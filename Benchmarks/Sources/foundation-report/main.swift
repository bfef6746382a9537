// foundation-report: the "Foundation" workloads timed with a plain monotonic clock, one JSON line per workload,
// with ratios to the machine's limits (limits.c: OpenBLAS sgemm GFLOP/s and triad GB/s) measured in the same run.
// compare-limits.sh builds limits.c, runs it, and passes its output here with --limits.
//
//     foundation-report [--limits FILE] [--sgemm-gflops X] [--triad-gbps Y] [--budget SECONDS]
//                       [--min-reps N] [--max-reps N] [--filter SUBSTRING]
//
// --limits FILE      limits.c's JSON lines; sgemm at each matmul shape and the best triad are taken from it.
// --sgemm-gflops X   sgemm peak to compare against (overrides the file; default: best M=512 sgemm in the file).
// --triad-gbps Y     bandwidth to compare against (overrides the file; default: best triad in the file).
// --budget SECONDS   time spent per workload after warm-up (default 1.5); at least --min-reps (3) and at most
//                    --max-reps (20) timed calls.
//
// Rates are computed from the best (minimum) time, as limits.c does; the median is printed next to it.
import Foundation
import FoundationWorkloads

// MARK: - Arguments

struct Options {
    var limitsFile: String?
    var sgemmPeak: Double?
    var triad: Double?
    var budget = 1.5
    var minReps = 3
    var maxReps = 20
    var filter: String?
}

func parseOptions() -> Options {
    var options = Options()
    var args = Array(CommandLine.arguments.dropFirst())
    func value(_ flag: String) -> String {
        guard !args.isEmpty else { fatalError("\(flag) needs a value") }
        return args.removeFirst()
    }
    while !args.isEmpty {
        let flag = args.removeFirst()
        switch flag {
        case "--limits": options.limitsFile = value(flag)
        case "--sgemm-gflops": options.sgemmPeak = Double(value(flag))
        case "--triad-gbps": options.triad = Double(value(flag))
        case "--budget": options.budget = Double(value(flag)) ?? options.budget
        case "--min-reps": options.minReps = Int(value(flag)) ?? options.minReps
        case "--max-reps": options.maxReps = Int(value(flag)) ?? options.maxReps
        case "--filter": options.filter = value(flag)
        case "-h", "--help":
            print("usage: foundation-report [--limits FILE] [--sgemm-gflops X] [--triad-gbps Y] [--budget S] "
                + "[--min-reps N] [--max-reps N] [--filter SUBSTRING]")
            exit(0)
        default:
            FileHandle.standardError.write("unknown argument \(flag)\n".data(using: .utf8)!)
            exit(2)
        }
    }
    return options
}

// MARK: - limits.c output

struct Limits {
    /// sgemm GFLOP/s by "MxNxK".
    var sgemm: [String: Double] = [:]
    var triadByThreads: [Int: Double] = [:]
    var openBLASThreads: Int?

    init() {}

    init(jsonLines text: String) {
        for line in text.split(separator: "\n") {
            guard let data = line.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
            if let threads = object["openblas_threads"] as? Int { openBLASThreads = threads }
            switch object["kind"] as? String {
            case "sgemm":
                if let m = object["M"] as? Int, let n = object["N"] as? Int, let k = object["K"] as? Int,
                   let g = (object["gflops"] as? NSNumber)?.doubleValue {
                    sgemm["\(m)x\(n)x\(k)"] = g
                }
            case "triad":
                if let t = object["threads"] as? Int, let g = (object["GBps"] as? NSNumber)?.doubleValue {
                    triadByThreads[t] = g
                }
            default: break
            }
        }
    }

    /// Best sgemm among the M = 512 transformer shapes (the compute ceiling for training).
    var sgemmPeak: Double? { sgemm.filter { $0.key.hasPrefix("512x") }.values.max() }
    var bestTriad: Double? { triadByThreads.values.max() }
}

// MARK: - JSON output (ordered keys, fixed precision)

enum JSONValue {
    case string(String), number(Double, Int), int(Int), bool(Bool), null

    var text: String {
        switch self {
        case .string(let s): return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .number(let x, let digits): return x.isFinite ? String(format: "%.\(digits)f", x) : "null"
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        }
    }
}

func emit(_ fields: [(String, JSONValue)]) {
    print("{" + fields.map { "\"\($0.0)\":\($0.1.text)" }.joined(separator: ",") + "}")
    fflush(stdout)
}

func optionalNumber(_ x: Double?, _ digits: Int) -> JSONValue { x.map { .number($0, digits) } ?? .null }

// MARK: - Timing

struct Timing {
    var ours: [Double] = []
    /// Minor page faults (process-wide) during each timed call of ours.
    var faults: [Double] = []
    /// The same for the reference (raw sgemm) calls.
    var referenceFaults: [Double] = []
    var reference: [Double] = []

    static func best(_ xs: [Double]) -> Double { xs.min() ?? .nan }
    static func median(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return .nan }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

func minorFaults() -> Int {
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    return usage.ru_minflt
}

func time(_ body: () -> Void) -> Double {
    let start = monotonicSeconds()
    body()
    return monotonicSeconds() - start
}

/// Warm-up once, then alternate (reference, ours) / (ours, reference) until the budget is spent.
func measure(_ workload: Workload, options: Options) -> Timing {
    let instance = workload.make()
    var timing = Timing()
    instance.prepare()
    instance.reference?()
    instance.run()
    let deadline = monotonicSeconds() + options.budget
    var rep = 0
    while rep < options.maxReps && (rep < options.minReps || monotonicSeconds() < deadline) {
        instance.prepare()
        func runReference() {
            guard let reference = instance.reference else { return }
            let faultsBefore = minorFaults()
            timing.reference.append(time(reference))
            timing.referenceFaults.append(Double(minorFaults() - faultsBefore))
        }
        if rep % 2 == 0 { runReference() }
        let faultsBefore = minorFaults()
        timing.ours.append(time(instance.run))
        timing.faults.append(Double(minorFaults() - faultsBefore))
        if rep % 2 == 1 { runReference() }
        rep += 1
    }
    instance.prepare()   // release the last result before the next workload allocates
    return timing
}

// MARK: - Main

let options = parseOptions()
var limits = Limits()
if let file = options.limitsFile {
    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
        FileHandle.standardError.write("cannot read \(file)\n".data(using: .utf8)!)
        exit(1)
    }
    limits = Limits(jsonLines: text)
}
let sgemmPeak = options.sgemmPeak ?? limits.sgemmPeak
let triad = options.triad ?? limits.bestTriad
let environment = ProcessInfo.processInfo.environment
/// SCHED_FIFO when run through `chrt -f` (compare-limits.sh with REALTIME=1).
var schedulerName: String {
    #if os(Linux)
    switch sched_getscheduler(0) {
    case SCHED_FIFO: return "SCHED_FIFO"
    case SCHED_RR: return "SCHED_RR"
    default: return "normal"
    }
    #else
    return "normal"
    #endif
}

emit([
    ("area", .string("Foundation")), ("kind", .string("context")),
    ("date", .string(ISO8601DateFormatter().string(from: Date()))),
    ("cpus", .int(ProcessInfo.processInfo.activeProcessorCount)),
    ("loadavg", (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
        .map { .string($0.split(separator: " ").prefix(3).joined(separator: " ")) } ?? .null),
    ("scheduler", .string(schedulerName)),
    ("OMP_NUM_THREADS", environment["OMP_NUM_THREADS"].map { .string($0) } ?? .null),
    ("openblas_threads", .int(openBLASThreads)), ("openblas_core", .string(openBLASCore)),
    ("limits_openblas_threads", limits.openBLASThreads.map { .int($0) } ?? .null),
    ("sgemm_peak_gflops", optionalNumber(sgemmPeak, 1)), ("triad_gbps", optionalNumber(triad, 1)),
])

/// One row of the human-readable table printed to standard error at the end.
var summary: [String] = []
func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
func fixed(_ x: Double?, _ digits: Int) -> String { x.map { String(format: "%.\(digits)f", $0) } ?? "-" }

for workload in FoundationWorkloads.all {
    if let filter = options.filter, !workload.name.contains(filter) { continue }
    let timing = measure(workload, options: options)
    let best = Timing.best(timing.ours), median = Timing.median(timing.ours)
    let rate = workload.work.rate(seconds: best), rateMedian = workload.work.rate(seconds: median)
    var fields: [(String, JSONValue)] = [
        ("area", .string("Foundation")), ("workload", .string(workload.kind)), ("name", .string(workload.name)),
        ("shape", .string(workload.shape)), ("reps", .int(timing.ours.count)),
        ("best_ms", .number(best * 1e3, 3)), ("median_ms", .number(median * 1e3, 3)),
        ("page_faults_median", .number(Timing.median(timing.faults), 0)),
    ]
    switch workload.work {
    case .flops(let flops):
        let raw = workload.work.rate(seconds: Timing.best(timing.reference))
        let rawMedian = workload.work.rate(seconds: Timing.median(timing.reference))
        let ratio = rate / raw
        let shapeKey = workload.name.replacingOccurrences(of: "matmul ", with: "")
        let limitsSameShape = limits.sgemm[shapeKey]
        fields += [
            ("gflop", .number(flops / 1e9, 3)),
            ("gflops", .number(rate, 1)), ("gflops_median", .number(rateMedian, 1)),
            ("raw_sgemm_gflops", .number(raw, 1)), ("raw_sgemm_gflops_median", .number(rawMedian, 1)),
            ("raw_page_faults_median", .number(Timing.median(timing.referenceFaults), 0)),
            ("ours_over_raw", .number(ratio, 3)),
            ("limits_sgemm_gflops", optionalNumber(limitsSameShape, 1)),
            ("ours_over_limits_sgemm", optionalNumber(limitsSameShape.map { rate / $0 }, 3)),
            ("sgemm_peak_gflops", optionalNumber(sgemmPeak, 1)),
            ("ours_over_sgemm_peak", optionalNumber(sgemmPeak.map { rate / $0 }, 3)),
            ("goal", .string("ours_over_raw >= 0.95")), ("goal_met", .bool(ratio >= 0.95)),
        ]
        summary.append(pad(workload.name, 34) + pad(fixed(rate, 1) + " GFLOP/s", 16)
            + pad("raw " + fixed(raw, 1), 12) + pad("ours/raw " + fixed(ratio, 3), 16)
            + "of sgemm peak " + fixed(sgemmPeak.map { rate / $0 }, 3) + (ratio >= 0.95 ? "" : "  (goal 0.95 missed)"))
    case .bytes(let bytes):
        fields += [
            ("mbytes", .number(bytes / 1e6, 1)),
            ("gbps", .number(rate, 2)), ("gbps_median", .number(rateMedian, 2)),
            ("triad_gbps", optionalNumber(triad, 1)),
            ("over_triad", optionalNumber(triad.map { rate / $0 }, 3)),
        ]
        summary.append(pad(workload.name, 34) + pad(fixed(rate, 2) + " GB/s", 16) + pad("", 12) + pad("", 16)
            + "of triad " + fixed(triad.map { rate / $0 }, 3))
    }
    emit(fields)
}

FileHandle.standardError.write(("\nFoundation (best of reps; sgemm peak \(fixed(sgemmPeak, 1)) GFLOP/s, triad \(fixed(triad, 1)) GB/s)\n"
    + summary.joined(separator: "\n") + "\n").data(using: .utf8)!)
