// smol-report: SwiftTune on the SmolLM-135M shape, the same four workloads as shared/anchors/torch_anchor.py
// (`--config smol`), timed by a plain monotonic clock. One JSON line per workload on stdout; a table on stderr.
// compare-torch.sh runs limits.c, torch_anchor.py and this back to back and passes their output here.
//
//     smol-report [--limits FILE] [--torch FILE] [--sgemm-gflops X] [--triad-gbps Y] [--reps N]
//                 [--threads N] [--seq T] [--workloads lora,dpo,sft_pair,full,prefill,decode] [--checkpointing]
//                 [--profile-lora SECONDS] [--profile-full SECONDS]
//
// --limits FILE      limits.c's JSON lines: the sgemm peak (best M=512 shape) and the best triad GB/s.
// --torch FILE       torch_anchor.py's JSON lines: adds torch_tok_per_s and ratio_vs_torch to each line.
// --reps N           timed repetitions after one warmup iteration (default 3, as torch_anchor.py's timeit).
// --checkpointing    gradient checkpointing on for the two training steps (default off: torch_anchor.py does
//                    not enable it, so off is the like-for-like comparison).
// --profile-lora S   build the LoRA step and loop it for S seconds without printing anything else
//                    (for `perf record -g`), then exit.
// --profile-full S   the same for the full fine-tuning step.
//
// Definitions (identical to torch_anchor.py):
//   lora_sft_step  LoRA r=8, alpha=16, dropout 0 on q,k,v,o,gate,up,down; loss(ids, labels: ids) (the model
//                  shifts); backward; AdamW(lr 1e-4, weight decay 0.01) step over the adapters; zero gradients.
//   dpo_step       the LoRA model above; one pair: chosen and rejected rows of T tokens sharing the first T/2 as
//                  the prompt (the completions are scored); reference log-probabilities with the adapters disabled
//                  (no gradients), then the policy's; DPO sigmoid loss (beta 0.1); backward; AdamW step; tok/s =
//                  2T / time. Run it alone (`--workloads dpo`) to read its peak RSS against `--workloads sft_pair`.
//   sft_pair_step  the LoRA SFT step over the DPO pair's tokens: both rows [2, T], the prompt half unscored
//                  (the memory baseline of dpo_step; compare-dpo.sh runs each in its own process).
//   full_sft_step  every parameter trainable (tied embedding = lm_head counted once); AdamW(lr 1e-5).
//   prefill        logits for all T positions without gradients.
//   greedy_decode  32-token prompt (the first 32 ids), 64 new tokens, KV cache, no stop tokens; tok/s = 64 / time
//                  (the time includes the 32-token prompt's prefill, as in transformers' generate).
// The time reported for the ratio is the median of the repetitions (torch_anchor.py reports its median); the
// best time is printed next to it.
import Foundation
import SwiftTuneCore

// MARK: - Options

struct Options {
    var limitsFile: String?
    var torchFile: String?
    var sgemmPeak: Double?
    var triad: Double?
    var reps = 3
    var threads: Int?
    var seq = 512
    var workloads = ["lora", "full", "prefill", "decode"]
    var checkpointing = false
    var profileLoRA: Double?
    var profileFull: Double?
}

func parseOptions() -> Options {
    var o = Options()
    var args = Array(CommandLine.arguments.dropFirst())
    func value(_ flag: String) -> String {
        guard !args.isEmpty else { fatalError("\(flag) needs a value") }
        return args.removeFirst()
    }
    while !args.isEmpty {
        let flag = args.removeFirst()
        switch flag {
        case "--limits": o.limitsFile = value(flag)
        case "--torch": o.torchFile = value(flag)
        case "--sgemm-gflops": o.sgemmPeak = Double(value(flag))
        case "--triad-gbps": o.triad = Double(value(flag))
        case "--reps": o.reps = max(1, Int(value(flag)) ?? 3)
        case "--threads": o.threads = Int(value(flag))
        case "--seq": o.seq = Int(value(flag)) ?? 512
        case "--workloads": o.workloads = value(flag).split(separator: ",").map(String.init)
        case "--checkpointing": o.checkpointing = true
        case "--profile-lora": o.profileLoRA = Double(value(flag))
        case "--profile-full": o.profileFull = Double(value(flag))
        case "-h", "--help":
            print("usage: smol-report [--limits FILE] [--torch FILE] [--sgemm-gflops X] [--triad-gbps Y] [--reps N] "
                  + "[--threads N] [--seq T] [--workloads lora,dpo,sft_pair,full,prefill,decode] [--checkpointing] "
                  + "[--profile-lora SECONDS] [--profile-full SECONDS]")
            exit(0)
        default:
            FileHandle.standardError.write("smol-report: unknown option \(flag)\n".data(using: .utf8)!)
            exit(2)
        }
    }
    return o
}

func jsonLines(_ path: String?) -> [[String: Any]] {
    guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap { line in
        guard let data = line.data(using: .utf8) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}

func number(_ any: Any?) -> Double? { (any as? NSNumber)?.doubleValue }

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

func optional(_ x: Double?, _ digits: Int) -> JSONValue { x.map { .number($0, digits) } ?? .null }

func emit(_ fields: [(String, JSONValue)]) {
    print("{" + fields.map { "\"\($0.0)\":\($0.1.text)" }.joined(separator: ",") + "}")
    fflush(stdout)
}

func log(_ s: String) { FileHandle.standardError.write((s + "\n").data(using: .utf8)!) }

// MARK: - Clock

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

struct Timing {
    var times: [Double]
    var best: Double { times.min()! }
    /// torch_anchor.py's median: sorted[len // 2].
    var median: Double { times.sorted()[times.count / 2] }
}

func measure(warmup: Int = 1, reps: Int, _ body: () throws -> Void) rethrows -> Timing {
    for _ in 0..<warmup { try body() }
    var times: [Double] = []
    for _ in 0..<reps {
        let t = now()
        try body()
        times.append(now() - t)
    }
    return Timing(times: times)
}

func maxRSSMegabytes() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    return Double(usage.ru_maxrss) / 1024  // KiB on Linux
}

// MARK: - Setup

let options = parseOptions()
if let threads = options.threads { Runtime.threadCount = threads }

// torch_anchor.py CONFIGS["smol"]: LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536,
// num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3, rms_norm_eps=1e-5, rope_theta=10000.0,
// tie_word_embeddings=True, max_position_embeddings=2048); head_dim = 576 / 9 = 64; no biases.
let configuration = ModelConfiguration(
    architecture: .llama, vocabularySize: 49152, hiddenSize: 576, intermediateSize: 1536, layerCount: 30,
    attentionHeads: 9, keyValueHeads: 3, headDimension: 64, rmsNormEpsilon: 1e-5, ropeTheta: 10_000,
    maxPositions: 2048, tieWordEmbeddings: true)
let (B, T) = (1, options.seq)
let c = configuration

// Random token ids (speed does not depend on them); fixed seed.
var state: UInt64 = 0x9E37_79B9_7F4A_7C15
let ids: [Int] = (0..<(B * T)).map { _ in
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Int((state >> 33) % UInt64(c.vocabularySize))
}

// Model FLOPs (the usual MFU convention: matmuls only; causal attention counted over the lower triangle).
let perLayerMatmulParameters = c.hiddenSize * c.attentionHeads * c.headDimension * 2       // q, o
    + c.hiddenSize * c.keyValueHeads * c.headDimension * 2                                 // k, v
    + c.hiddenSize * c.intermediateSize * 3                                                 // gate, up, down
let matmulParameters = Double(perLayerMatmulParameters * c.layerCount + c.vocabularySize * c.hiddenSize)
let tokens = Double(B * T)
/// QKᵀ and PV over the causal triangle, all layers: 2 matmuls × 2 FLOP × L × B × T(T+1)/2 × H·D.
let attentionForward = 4 * Double(c.layerCount * B) * Double(T * (T + 1) / 2) * Double(c.attentionHeads * c.headDimension)
let forwardFLOPs = 2 * matmulParameters * tokens + attentionForward
/// Backward: input gradients 2·N·T (+ weight gradients 2·N·T when the weights train); attention backward 2× its forward.
let loraFLOPs = forwardFLOPs + 2 * matmulParameters * tokens + 2 * attentionForward
let fullFLOPs = loraFLOPs + 2 * matmulParameters * tokens
/// fp32 bytes read per decoded token: every matmul weight once (the tied embedding is the lm_head).
let decodeBytesPerToken = 4 * matmulParameters

let limitLines = jsonLines(options.limitsFile)
let sgemmPeak: Double? = options.sgemmPeak ?? limitLines.filter {
    $0["kind"] as? String == "sgemm" && ($0["M"] as? Int) == 512
}.compactMap { number($0["gflops"]) }.max()
let triad: Double? = options.triad ?? limitLines.filter { $0["kind"] as? String == "triad" }
    .compactMap { number($0["GBps"]) }.max()
var torchTokensPerSecond: [String: Double] = [:]
var torchSeconds: [String: Double] = [:]
for line in jsonLines(options.torchFile) {
    guard let w = line["workload"] as? String, let r = number(line["tok_per_s"]) else { continue }
    torchTokensPerSecond[w] = r
    torchSeconds[w] = number(line["sec"])
}

let labels = ids

func makeLoRAModel() -> (CausalLanguageModel<Float>, AdamW<Float>) {
    let model = CausalLanguageModel<Float>(configuration: c, seed: 0)
    model.gradientCheckpointing = options.checkpointing
    try! model.applyLoRA(LoRAConfiguration(rank: 8, alpha: 16, dropout: 0, targetModules: .allLinear), seed: 1)
    return (model, AdamW<Float>(learningRate: 1e-4))
}

func makeFullModel() -> (CausalLanguageModel<Float>, AdamW<Float>) {
    let model = CausalLanguageModel<Float>(configuration: c, seed: 0)
    model.gradientCheckpointing = options.checkpointing
    return (model, AdamW<Float>(learningRate: 1e-5))
}

func trainingStep(_ model: CausalLanguageModel<Float>, _ optimizer: AdamW<Float>) throws {
    let loss = try model.loss(ids, labels: labels, shape: [B, T])
    loss.backward()
    optimizer.step(model.trainableParameters)
    model.zeroGradients()
}

/// torch_anchor.py's DPO pair: row 1 = row 0's first T/2 tokens (the prompt), then its own T/2 tokens.
let dpoPair: PreferencePair = {
    var s: UInt64 = 0x2545_F491_4F6C_DD1D
    let rejected: [Int] = (0..<(T - T / 2)).map { _ in
        s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((s >> 33) % UInt64(c.vocabularySize))
    }
    return PreferencePair(promptIDs: Array(ids.prefix(T / 2)), chosenIDs: Array(ids.suffix(T - T / 2)),
                          rejectedIDs: rejected)
}()

func dpoStep(_ model: CausalLanguageModel<Float>, _ optimizer: AdamW<Float>, _ loss: inout DPOLoss) throws {
    let batch = try PreferenceBatch.padded([dpoPair]).batch
    let targets = CausalLanguageModel<Float>.shiftedTargets(batch.labels, shape: batch.shape)
    let reference = try ReferencePolicy.adaptersDisabled(model).tokenLogProbabilities(batch)
    let policy = try model.tokenLogProbabilities(batch.ids, labels: batch.labels, shape: batch.shape)
    let p = try SequenceLogProbabilities.pairs(tokenLogProbabilities: policy, targets: targets, pairCount: 1)
    let r = try SequenceLogProbabilities.pairs(tokenLogProbabilities: reference, targets: targets, pairCount: 1)
    let output = try loss(policyChosen: p.chosen, policyRejected: p.rejected,
                          referenceChosen: r.chosen, referenceRejected: r.rejected)
    output.loss.backward()
    optimizer.step(model.trainableParameters)
    model.zeroGradients()
}

/// The resident set now (/proc/self/statm's second field × the page size), 0 where there is no /proc.
func currentRSSMegabytes() -> Double {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
          let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return 0 }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

// MARK: - Profiling mode

if let seconds = options.profileLoRA ?? options.profileFull {
    let (model, optimizer) = options.profileLoRA != nil ? makeLoRAModel() : makeFullModel()
    try trainingStep(model, optimizer)
    let start = now()
    var steps = 0
    log("smol-report: profiling training steps for \(seconds) s (pid \(getpid()))")
    while now() - start < seconds {
        try trainingStep(model, optimizer)
        steps += 1
    }
    log("smol-report: \(steps) steps, \(String(format: "%.3f", (now() - start) / Double(max(steps, 1)))) s/step")
    exit(0)
}

// MARK: - Run

let environment = ProcessInfo.processInfo.environment
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
    ("area", .string("smol")), ("kind", .string("context")),
    ("date", .string(ISO8601DateFormatter().string(from: Date()))),
    ("cpus", .int(ProcessInfo.processInfo.activeProcessorCount)),
    ("threads", .int(Runtime.threadCount)),
    ("loadavg", (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
        .map { .string($0.split(separator: " ").prefix(3).joined(separator: " ")) } ?? .null),
    ("scheduler", .string(schedulerName)),
    ("OMP_NUM_THREADS", environment["OMP_NUM_THREADS"].map { .string($0) } ?? .null),
    ("vector_kernels", .bool(Runtime.usesVectorKernels)),
    ("batch", .int(B)), ("seq", .int(T)), ("reps", .int(options.reps)),
    ("gradient_checkpointing", .bool(options.checkpointing)),
    ("matmul_params", .int(Int(matmulParameters))),
    ("sgemm_peak_gflops", optional(sgemmPeak, 1)), ("triad_gbps", optional(triad, 1)),
])

struct Row { var workload: String; var seconds: Double; var tokensPerSecond: Double; var efficiency: String }
var rows: [Row] = []

func report(_ workload: String, _ timing: Timing, tokensPerCall: Double, flops: Double?, extra: [(String, JSONValue)]) {
    let rate = tokensPerCall / timing.median
    var fields: [(String, JSONValue)] = [
        ("area", .string("smol")), ("workload", .string(workload)), ("batch", .int(B)),
        ("threads", .int(Runtime.threadCount)),
        ("sec", .number(timing.median, 4)), ("sec_best", .number(timing.best, 4)),
        ("sec_all", .string(timing.times.map { String(format: "%.3f", $0) }.joined(separator: " "))),
        ("tok_per_s", .number(rate, 1)), ("tok_per_s_best", .number(tokensPerCall / timing.best, 1)),
    ]
    var efficiency = ""
    if let flops {
        let gflops = flops / timing.median / 1e9
        fields += [("model_gflop", .number(flops / 1e9, 1)), ("gflops", .number(gflops, 1)),
                   ("mfu_vs_sgemm_peak", optional(sgemmPeak.map { gflops / $0 }, 3)),
                   ("mfu_best", optional(sgemmPeak.map { flops / timing.best / 1e9 / $0 }, 3))]
        if let sgemmPeak { efficiency = String(format: "MFU %.0f%%", 100 * gflops / sgemmPeak) }
    }
    fields += extra
    if let torch = torchTokensPerSecond[workload] {
        fields += [("torch_sec", optional(torchSeconds[workload], 4)), ("torch_tok_per_s", .number(torch, 1)),
                   ("ratio_vs_torch", .number(rate / torch, 3))]
    }
    fields.append(("maxrss_mb", .number(maxRSSMegabytes(), 0)))
    emit(fields)
    rows.append(Row(workload: workload, seconds: timing.median, tokensPerSecond: rate, efficiency: efficiency))
}

let wanted = Set(options.workloads)
if wanted.contains("lora") {
    log("smol-report: lora_sft_step (1 warmup + \(options.reps))")
    let (model, optimizer) = makeLoRAModel()
    let trainable = model.trainableParameters.reduce(0) { $0 + $1.shape.reduce(1, *) }
    let t = try measure(reps: options.reps) { try trainingStep(model, optimizer) }
    report("lora_sft_step", t, tokensPerCall: tokens, flops: loraFLOPs,
           extra: [("seq", .int(T)), ("trainable_params", .int(trainable)),
                   ("gradient_checkpointing", .bool(options.checkpointing))])
}

if wanted.contains("dpo") {
    log("smol-report: dpo_step (1 warmup + \(options.reps))")
    let (model, optimizer) = makeLoRAModel()
    var loss = DPOLoss(lossTypes: [.sigmoid], beta: 0.1)
    let built = (peak: maxRSSMegabytes(), resident: currentRSSMegabytes())
    let t = try measure(reps: options.reps) { try dpoStep(model, optimizer, &loss) }
    // FLOPs: the reference forward (no backward) plus a LoRA training step, over 2T tokens.
    report("dpo_step", t, tokensPerCall: 2 * tokens, flops: 2 * (forwardFLOPs + loraFLOPs),
           extra: [("seq", .int(T)), ("pairs", .int(1)), ("gradient_checkpointing", .bool(options.checkpointing)),
                   ("maxrss_before_steps_mb", .number(built.peak, 0)), ("rss_before_steps_mb", .number(built.resident, 0))])
}

if wanted.contains("sft_pair") {
    log("smol-report: sft_pair_step (1 warmup + \(options.reps))")
    let (model, optimizer) = makeLoRAModel()
    let batch = try PreferenceBatch.padded([dpoPair]).batch
    let built = (peak: maxRSSMegabytes(), resident: currentRSSMegabytes())
    let t = try measure(reps: options.reps) {
        let loss = try model.loss(batch.ids, labels: batch.labels, shape: batch.shape)
        loss.backward()
        optimizer.step(model.trainableParameters)
        model.zeroGradients()
    }
    report("sft_pair_step", t, tokensPerCall: 2 * tokens, flops: 2 * loraFLOPs,
           extra: [("seq", .int(T)), ("rows", .int(2)), ("gradient_checkpointing", .bool(options.checkpointing)),
                   ("maxrss_before_steps_mb", .number(built.peak, 0)), ("rss_before_steps_mb", .number(built.resident, 0))])
}

if !wanted.isDisjoint(with: ["full", "prefill", "decode"]) {
    let model = CausalLanguageModel<Float>(configuration: c, seed: 0)
    if wanted.contains("full") {
        log("smol-report: full_sft_step (1 warmup + \(options.reps))")
        model.gradientCheckpointing = options.checkpointing
        let optimizer = AdamW<Float>(learningRate: 1e-5)
        let trainable = model.trainableParameters.reduce(0) { $0 + $1.shape.reduce(1, *) }
        let t = try measure(reps: options.reps) { try trainingStep(model, optimizer) }
        report("full_sft_step", t, tokensPerCall: tokens, flops: fullFLOPs,
               extra: [("seq", .int(T)), ("trainable_params", .int(trainable)),
                       ("gradient_checkpointing", .bool(options.checkpointing))])
        model.gradientCheckpointing = false
    }
    if wanted.contains("prefill") {
        log("smol-report: prefill (1 warmup + \(options.reps))")
        let t = try measure(reps: options.reps) { _ = try withoutGradients { try model(ids, shape: [B, T]) } }
        report("prefill", t, tokensPerCall: tokens, flops: forwardFLOPs, extra: [("seq", .int(T))])
    }
    if wanted.contains("decode") {
        log("smol-report: greedy_decode (1 warmup + \(options.reps))")
        let prompt = Array(ids.prefix(32))
        let newTokens = 64
        var generated = 0
        let t = try measure(reps: options.reps) {
            generated = try model.generate(prompts: [prompt], maxNewTokens: newTokens, stopTokens: [])[0].count
        }
        precondition(generated == newTokens, "generated \(generated) tokens, expected \(newTokens)")
        let rate = Double(newTokens) / t.median
        let ceiling = triad.map { $0 * 1e9 / decodeBytesPerToken }
        report("greedy_decode", t, tokensPerCall: Double(newTokens), flops: nil,
               extra: [("prompt", .int(32)), ("new", .int(newTokens)),
                       ("weight_mb_per_token", .number(decodeBytesPerToken / 1e6, 1)),
                       ("bandwidth_limit_tok_per_s", optional(ceiling, 1)),
                       ("of_bandwidth_limit", optional(ceiling.map { rate / $0 }, 3))])
        if let ceiling { rows[rows.count - 1].efficiency = String(format: "%.0f%% of BW limit", 100 * rate / ceiling) }
    }
}

// MARK: - Summary (stderr)

func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - s.count))
    return left ? s + fill : fill + s
}
log("")
log(pad("workload", 15, left: true) + pad("SwiftTune s", 13) + pad("tok/s", 9) + "  " + pad("efficiency", 18, left: true)
    + pad("PyTorch s", 11) + pad("tok/s", 9) + pad("SwiftTune/PyTorch", 19))
for r in rows {
    let torch = torchTokensPerSecond[r.workload]
    log(pad(r.workload, 15, left: true) + pad(String(format: "%.3f", r.seconds), 13)
        + pad(String(format: "%.1f", r.tokensPerSecond), 9) + "  " + pad(r.efficiency, 18, left: true)
        + pad(torchSeconds[r.workload].map { String(format: "%.3f", $0) } ?? "-", 11)
        + pad(torch.map { String(format: "%.1f", $0) } ?? "-", 9)
        + pad(torch.map { String(format: "%.2fx", r.tokensPerSecond / $0) } ?? "-", 19))
}
