// nf4-report: the NF4 area (Sources/NF4Workloads) by a plain monotonic clock, plus three model-level numbers the
// adapters issue asks for, on the SmolLM-135M shape:
//   - bits per quantized parameter (packed codes + double-quantized block scales, every decoder projection);
//   - greedy decode tokens/s of the NF4 model (32-token prompt + 64 new tokens, as smol-report) against its
//     bandwidth limit: bytes read per token (NF4 projections + the fp32 tied embedding / lm_head + norms) ÷ triad;
//   - the peak resident memory of a QLoRA training step against an fp32 LoRA step (goal ≤ 0.4×), each measured in
//     a child process of its own (`--memory-probe lora|qlora`) so that neither sees the other's allocations.
// One JSON line per measurement on stdout; a table on stderr.
//
//     nf4-report [--limits FILE | --triad-gbps X] [--reps N] [--filter TEXT] [--skip-model] [--checkpointing on|off]
//
// Peak memory of a step: the model is built (and quantized), the buffer cache is emptied and glibc is asked to
// return freed memory, the resident high-water mark is reset through /proc/self/clear_refs, then two LoRA training
// steps run (r 8, α 16, all seven projections, AdamW, sequence 512, batch 1); VmHWM is the step's peak including
// the resident weights. Gradient checkpointing is on by default, as in `swifttune sft`. NF4_REPORT_PHASES=1 prints
// the live tensor bytes around the forward (which includes the chunked output cross-entropy) and the backward.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NF4Workloads

// glibc's <malloc.h>, which the Glibc module does not export.
@_silgen_name("mallopt") func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
@_silgen_name("malloc_trim") func glibcMallocTrim(_ pad: Int) -> Int32
let mallocMmapThreshold: Int32 = -3   // M_MMAP_THRESHOLD
import SwiftTuneCore

var reps = 5
var filter: String?
var triad: Double?
var limitsFile: String?
var skipModel = false
var probe: String?
var checkpointing = true
var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
    let flag = args.removeFirst()
    if flag == "--skip-model" { skipModel = true; continue }
    guard !args.isEmpty else { fatalError("\(flag) needs a value") }
    let value = args.removeFirst()
    switch flag {
    case "--reps": reps = max(1, Int(value) ?? 5)
    case "--filter": filter = value
    case "--triad-gbps": triad = Double(value)
    case "--limits": limitsFile = value
    case "--memory-probe": probe = value
    case "--checkpointing": checkpointing = value != "off"
    default: fatalError("unknown option \(flag)")
    }
}
if triad == nil, let limitsFile, let text = try? String(contentsOfFile: limitsFile, encoding: .utf8) {
    triad = text.split(separator: "\n").compactMap { line -> Double? in
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              object["kind"] as? String == "triad" else { return nil }
        return (object["GBps"] as? NSNumber)?.doubleValue
    }.max()
}

func log(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

let c = NF4Workloads.smolConfiguration
let tokens = 512
var state: UInt64 = 0x9E37_79B9_7F4A_7C15
let ids: [Int] = (0..<tokens).map { _ in
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Int((state >> 33) % UInt64(c.vocabularySize))
}

// MARK: - Child process: peak RSS of LoRA / QLoRA steps

if let probe {
    _ = glibcMallopt(mallocMmapThreshold, 128 * 1024)   // fixed threshold: large buffers are mmapped and unmapped on free
    let model = CausalLanguageModel<Float>(configuration: c, seed: 1)
    if probe == "qlora" { _ = model.quantizeNF4() }
    try! model.applyLoRA(LoRAConfiguration(rank: 8, alpha: 16, dropout: 0, targetModules: .allLinear), seed: 1)
    // QLoRA keeps the frozen tied embedding in bf16 (as bitsandbytes' recipe does). The random weights stand in for
    // SmolLM's BF16 checkpoint, where this is lossless and what `swifttune sft --quantize nf4` does by itself.
    if probe == "qlora" { _ = model.storeFrozenEmbeddingsInBFloat16(onlyIfExact: false) }
    model.gradientCheckpointing = checkpointing
    let optimizer = AdamW<Float>(learningRate: 1e-4)
    Runtime.bufferCacheBytes = 0
    _ = glibcMallocTrim(0)
    let before = ResidentMemory.resetPeak() ?? 0
    let tensorsBefore = Runtime.resetPeakTensorBytes()
    var tensorPeak = tensorsBefore
    for _ in 0..<2 {
        let start = Runtime.resetPeakTensorBytes()
        let loss = try model.loss(ids, labels: ids, shape: [1, tokens])
        let afterForward = (Runtime.tensorBytes, Runtime.peakTensorBytes)
        Runtime.resetPeakTensorBytes()
        loss.backward()
        tensorPeak = max(tensorPeak, afterForward.1, Runtime.peakTensorBytes)
        if ProcessInfo.processInfo.environment["NF4_REPORT_PHASES"] != nil {
            log(String(format: "phases: start %.1f MB; forward live %.1f peak %.1f; backward peak %.1f; end live %.1f",
                       Double(start) / 1e6, Double(afterForward.0) / 1e6, Double(afterForward.1) / 1e6,
                       Double(Runtime.peakTensorBytes) / 1e6, Double(Runtime.tensorBytes) / 1e6))
        }
        optimizer.step(model.trainableParameters)
        model.trainableParameters.forEach { $0.zeroGradient() }
    }
    let peak = ResidentMemory.peak ?? 0
    print(jsonLine([("probe", probe), ("resident_before_mb", Double(before) / 1024), ("peak_rss_mb", Double(peak) / 1024),
                ("tensor_bytes_before_mb", Double(tensorsBefore) / 1e6),
                ("peak_tensor_mb", Double(max(tensorPeak, Runtime.peakTensorBytes)) / 1e6),
                ("checkpointing", checkpointing ? "on" : "off")]))
    exit(0)
}

var load = [Double](repeating: 0, count: 3)
_ = getloadavg(&load, 3)
print(jsonLine([("type", "context"), ("threads", Runtime.threadCount), ("triad_gbps", triad), ("reps", reps),
            ("load_average_1m", load[0])]))
var table: [String] = []

// MARK: - Kernel workloads

for workload in NF4Workloads.all where filter == nil || workload.name.contains(filter!) {
    log("nf4-report: \(workload.name)")
    let instance = workload.make()
    instance.prepare()
    instance.run()
    var times: [Double] = []
    for _ in 0..<reps {
        instance.prepare()
        let start = monotonicSeconds()
        instance.run()
        times.append(monotonicSeconds() - start)
    }
    times.sort()
    let rate = workload.work.rate(seconds: times[0])
    var fields: [(String, Any?)] = [("type", "workload"), ("name", workload.name), ("shape", workload.shape),
                                    ("best_ms", times[0] * 1000), ("median_ms", times[times.count / 2] * 1000)]
    if case .bytes = workload.work {
        fields += [("gbps", rate), ("over_triad", triad.map { rate / $0 })]
        table.append(String(format: "%-44@ %8.2f GB/s %@", workload.name as NSString, rate,
                            (triad.map { String(format: "= %.2f × triad", rate / $0) } ?? "") as NSString))
    } else {
        fields += [("gflops", rate)]
        table.append(String(format: "%-44@ %8.1f GFLOP/s", workload.name as NSString, rate))
    }
    print(jsonLine(fields))
    fflush(stdout)
}

// MARK: - Model level

if !skipModel {
    log("nf4-report: SmolLM-135M shape, NF4 decode")
    let model = CausalLanguageModel<Float>(configuration: c, seed: 1)
    _ = model.quantizeNF4()
    model.embedTokens.weight?.isTrainable = false
    _ = model.storeFrozenEmbeddingsInBFloat16(onlyIfExact: false)   // as for a BF16 checkpoint (see the probe)
    var packedBytes = 0, quantized = 0
    for layer in model.layers {
        for name in ProjectionName.allCases {
            guard let nf4 = layer.projection(name) as? NF4Linear else { continue }
            packedBytes += nf4.weight.byteCount
            quantized += nf4.weight.count
        }
    }
    let bits = 8 * Double(packedBytes) / Double(quantized)
    var denseBytes = model.parameters.reduce(0) { $0 + $1.value.count * 4 }   // norms (and lm_head when untied)
    if case .frozenBFloat16(let table, _) = model.embedTokens.table { denseBytes += table.rows * table.columns * 2 }
    let bytesPerToken = Double(packedBytes + denseBytes)
    var times: [Double] = []
    _ = try model.generate(prompts: [Array(ids[0..<32])], maxNewTokens: 64, stopTokens: [])
    for _ in 0..<3 {
        let start = monotonicSeconds()
        _ = try model.generate(prompts: [Array(ids[0..<32])], maxNewTokens: 64, stopTokens: [])
        times.append(monotonicSeconds() - start)
    }
    times.sort()
    let tokensPerSecond = 64 / times[1]
    let limit = triad.map { $0 * 1e9 / bytesPerToken }
    print(jsonLine([("type", "model"), ("name", "nf4 greedy_decode"), ("quantized_parameters", quantized),
                ("bits_per_quantized_parameter", bits), ("mb_per_token", bytesPerToken / 1e6),
                ("tok_per_s", tokensPerSecond), ("tok_per_s_best", 64 / times[0]),
                ("bandwidth_limit_tok_per_s", limit), ("of_bandwidth_limit", limit.map { tokensPerSecond / $0 })]))
    table.append(String(format: "bits per quantized parameter                 %8.3f (%d parameters)", bits, quantized))
    table.append(String(format: "nf4 greedy decode (32 + 64 tokens)           %8.1f tok/s%@", tokensPerSecond,
                        (limit.map { String(format: " = %.0f%% of %.1f (%.1f MB/token)", 100 * tokensPerSecond / $0, $0, bytesPerToken / 1e6) } ?? "") as NSString))

    // Peak memory of LoRA vs QLoRA steps, each in its own process.
    var peaks: [String: Double] = [:]
    for kind in ["lora", "qlora"] {
        log("nf4-report: \(kind) step peak memory (child process)")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = ["--memory-probe", kind, "--checkpointing", checkpointing ? "on" : "off"]
        let pipe = Pipe()
        child.standardOutput = pipe
        try! child.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        let line = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        print(line)
        if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
           let peak = (object["peak_rss_mb"] as? NSNumber)?.doubleValue { peaks[kind] = peak }
    }
    if let lora = peaks["lora"], let qlora = peaks["qlora"] {
        print(jsonLine([("type", "summary"), ("qlora_over_lora_peak_rss", qlora / lora),
                    ("checkpointing", checkpointing ? "on" : "off")]))
        table.append(String(format: "peak RSS of a step: LoRA %.0f MB, QLoRA %.0f MB  %8.2f ×", lora, qlora, qlora / lora))
    }
}
log("\n" + table.joined(separator: "\n"))
