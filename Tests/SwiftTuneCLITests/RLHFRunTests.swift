import Foundation
import SwiftTuneCore
import Testing
@testable import swifttune

/// Short real `rlhf` runs on the embedded defaults (Defaults/model; pairs from Defaults/data by
/// Tools/generate_rlhf_pairs.py: chosen = the reference translation, rejected = a corrupted one). Serialized: the
/// runs share the kernel thread setting.
@Suite("rlhf runs", .serialized)
struct RLHFRunTests {
    static let pairs = repositoryPath("Tests/SwiftTuneCLITests/Fixtures/rlhf/train_pairs.jsonl")
    static let validation = repositoryPath("Tests/SwiftTuneCLITests/Fixtures/rlhf/val_pairs.jsonl")

    func run(_ arguments: [String]) throws {
        let command = try #require(try parse(arguments).command as? RLHFCommand)
        try command.run()
    }

    /// A short LoRA run's arguments writing to `output`.
    func base(_ output: URL, steps: Int = 2, extra: [String] = []) -> [String] {
        ["rlhf", "--model", repositoryPath("Defaults/model"), "--dataset", Self.pairs, "--output", output.path,
         "--lora-rank", "4", "--max-length", "64", "--batch-size", "2", "--gradient-accumulation-steps", "2",
         "--learning-rate", "1e-3", "--max-steps", "\(steps)", "--logging-steps", "1", "--threads", "2"] + extra
    }

    /// `logging.jsonl` as one dictionary per line.
    func records(_ folder: URL) throws -> [[String: Any]] {
        let text = try String(contentsOf: folder.appendingPathComponent("logging.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func adapter(_ folder: URL) throws -> Data { try Data(contentsOf: folder.appendingPathComponent("adapter_model.safetensors")) }

    static let metricKeys: [(String, [String])] = [
        ("dpo", ["rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected"]),
        ("orpo", ["rewards/accuracies", "rewards/margins", "logps/chosen", "nll_loss", "log_odds_ratio", "log_odds_chosen"]),
        ("simpo", ["rewards/accuracies", "rewards/margins", "logps/rejected", "nll_loss"]),
        ("cpo", ["rewards/accuracies", "rewards/margins", "logps/chosen", "nll_loss"]),
        ("kto", ["kl", "rewards/chosen", "rewards/rejected", "rewards/margins", "logps/chosen", "logps/rejected"]),
    ]

    @Test(arguments: metricKeys.map(\.0))
    func everyMethodTrainsAndLogsItsMetrics(method: String) throws {
        let folder = try temporaryFolder("rlhf-\(method)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("out")
        try run(base(output, extra: ["--rlhf-type", method, "--val-dataset", Self.validation]))
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("adapter_config.json").path))
        let log = try records(output)
        #expect(log.map { $0["step"] as? Int } == [1, 2])
        let keys = try #require(Self.metricKeys.first { $0.0 == method }).1
        for record in log {
            for key in keys + ["loss"] {
                let value = record[key] as? Double
                #expect(value?.isFinite == true, "\(method) step \(record["step"] ?? "?"): \(key) = \(record[key] ?? "missing")")
            }
            #expect(record["rlhf_type"] as? String == method)
        }
        // Validation at the end reports the same metrics with eval_.
        for key in keys { #expect((log.last?["eval_" + key] as? Double)?.isFinite == true, "eval_\(key)") }
        if method == "kto" { #expect(log.first?["rewards/accuracies"] == nil) }   // TRL's KTO logs none
    }

    @Test func msSwiftSpellingTrainsTheSameAdapter() throws {
        let folder = try temporaryFolder("rlhf-spelling")
        defer { try? FileManager.default.removeItem(at: folder) }
        let kebab = folder.appendingPathComponent("kebab"), snake = folder.appendingPathComponent("snake")
        try run(base(kebab, extra: ["--rlhf-type", "dpo", "--beta", "0.2", "--loss-type", "sigmoid,sft", "--loss-weights", "1,0.5",
                                    "--rpo-alpha", "0.3", "--label-smoothing", "0.1", "--ld-alpha", "0.5"]))
        try run(["rlhf", "--model", repositoryPath("Defaults/model"), "--dataset", Self.pairs, "--output_dir", snake.path,
                 "--train_type", "lora", "--lora_rank", "4", "--max_length", "64", "--per_device_train_batch_size", "2",
                 "--gradient_accumulation_steps", "2", "--learning_rate", "1e-3", "--max_steps", "2", "--logging_steps", "1",
                 "--threads", "2", "--rlhf_type", "dpo", "--beta", "0.2", "--loss_type", "sigmoid", "sft",
                 "--loss_weights", "1", "0.5", "--rpo_alpha", "0.3", "--label_smoothing", "0.1", "--ld_alpha", "0.5"])
        #expect(try adapter(kebab) == adapter(snake))
        #expect(try records(kebab).map { $0["loss"] as? Double } == records(snake).map { $0["loss"] as? Double })
    }

    /// A run resumed from its step-2 checkpoint ends with the uninterrupted run's adapter, bit for bit — with
    /// `bco_pair`, whose running moments come back from objective_state.json; without that file they differ.
    @Test func resumeEqualsUninterrupted() throws {
        let folder = try temporaryFolder("rlhf-resume")
        defer { try? FileManager.default.removeItem(at: folder) }
        let whole = folder.appendingPathComponent("whole")
        let extra = ["--loss-type", "sigmoid", "bco_pair", "--save-steps", "2", "--lora-dropout", "0.1"]
        try run(base(whole, steps: 4, extra: extra))
        let checkpoint = whole.appendingPathComponent("checkpoint-2")
        #expect(FileManager.default.fileExists(atPath: checkpoint.appendingPathComponent("objective_state.json").path))
        let resumed = folder.appendingPathComponent("resumed")
        try run(base(resumed, steps: 4, extra: extra + ["--resume-from-checkpoint", checkpoint.path]))
        #expect(try adapter(resumed) == adapter(whole))
        let tail = try records(whole).suffix(2).map { $0["loss"] as? Double }
        #expect(try records(resumed).map { $0["loss"] as? Double } == tail)

        let stateless = folder.appendingPathComponent("checkpoint-stateless")
        try FileManager.default.copyItem(at: checkpoint, to: stateless)
        try FileManager.default.removeItem(at: stateless.appendingPathComponent("objective_state.json"))
        let fresh = folder.appendingPathComponent("fresh")
        try run(base(fresh, steps: 4, extra: extra + ["--resume-from-checkpoint", stateless.path]))
        #expect(try adapter(fresh) != adapter(whole))
    }

    /// Resuming with other method options is refused (they are part of the data fingerprint).
    @Test func resumeWithOtherBetaIsRefused() throws {
        let folder = try temporaryFolder("rlhf-resume-beta")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        try run(base(out, extra: ["--save-steps", "1"]))
        #expect {
            try run(base(folder.appendingPathComponent("again"), extra: [
                "--beta", "0.3", "--resume-from-checkpoint", out.appendingPathComponent("checkpoint-1").path]))
        } throws: { "\($0)".contains("data fingerprint") }
    }

    /// Logged losses of two runs agree to `tolerance` (relative), step by step.
    func sameLosses(_ a: URL, _ b: URL, tolerance: Double) throws {
        let la = try records(a).compactMap { $0["loss"] as? Double }, lb = try records(b).compactMap { $0["loss"] as? Double }
        #expect(la.count == lb.count && !la.isEmpty)
        for (x, y) in zip(la, lb) { #expect(abs(x - y) <= tolerance * max(1, abs(x)), "\(la) vs \(lb)") }
    }

    @Test(arguments: ["dpo", "kto"])
    func precomputedReferenceGivesTheSameSteps(method: String) throws {
        let folder = try temporaryFolder("rlhf-precompute")
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = folder.appendingPathComponent("a"), b = folder.appendingPathComponent("b")
        try run(base(a, steps: 3, extra: ["--rlhf-type", method]))
        try run(base(b, steps: 3, extra: ["--rlhf-type", method, "--precompute-ref-log-probs"]))
        try sameLosses(a, b, tolerance: 1e-5)
    }

    /// Packing the 2P sequences changes no log-probability (LoRA dropout off: its masks follow the rows).
    @Test func packedEqualsPadded() throws {
        let folder = try temporaryFolder("rlhf-packing")
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = folder.appendingPathComponent("a"), b = folder.appendingPathComponent("b")
        try run(base(a, steps: 3, extra: ["--rlhf-type", "dpo", "--loss-type", "ipo", "--lora-dropout", "0"]))
        try run(base(b, steps: 3, extra: ["--rlhf-type", "dpo", "--loss-type", "ipo", "--lora-dropout", "0", "--packing"]))
        try sameLosses(a, b, tolerance: 1e-4)
    }

    @Test func fullTuningUsesAFrozenCopyOfTheModel() throws {
        let folder = try temporaryFolder("rlhf-full")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        try run(base(out, extra: ["--tuner", "full", "--learning-rate", "1e-4"]))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("model.safetensors").path))
        let first = try #require(try records(out).first)
        // The first step's policy equals its reference: the DPO loss is log 2, the margins 0.
        #expect(abs((first["loss"] as? Double ?? 0) - Foundation.log(2.0)) < 1e-5)
        #expect(abs(first["rewards/margins"] as? Double ?? 1) < 1e-6)
    }

    /// Bad rlhf options stop before any work, naming the option.
    @Test(arguments: [
        (["--rlhf-type", "ppo"], "ppo"),
        (["--loss-type", "nope"], "--loss-type 'nope'"),
        (["--loss-type", "sigmoid", "--loss-weights", "1", "2"], "--loss-weights"),
        (["--rlhf-type", "orpo", "--loss-type", "sigmoid"], "--loss-type"),
        (["--rlhf-type", "cpo", "--loss-type", "sigmoid,hinge"], "several loss types"),
        (["--beta", "0"], "--beta"),
        (["--label_smoothing", "0.7"], "--label-smoothing"),
        (["--ld-alpha", "2"], "--ld-alpha"),
        (["--rlhf-type", "kto", "--rpo-alpha", "1"], "--rpo-alpha"),
        (["--rlhf-type", "orpo", "--ref-model", "/tmp"], "--ref-model"),
        (["--rlhf-type", "simpo", "--precompute-ref-log-probs"], "--precompute-ref-log-probs"),
        (["--rlhf-type", "dpo", "--desirable-weight", "2"], "--desirable-weight"),
    ])
    func badOptionsAreNamed(extra: [String], named: String) throws {
        let folder = try temporaryFolder("rlhf-bad")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect { try run(base(folder.appendingPathComponent("out"), extra: extra)) } throws: { "\($0)".contains(named) }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out").path))
    }

    @Test func ktoRefusesATotalBatchOfOne() throws {
        let folder = try temporaryFolder("rlhf-kto-one")
        defer { try? FileManager.default.removeItem(at: folder) }
        var arguments = base(folder.appendingPathComponent("out"), extra: ["--rlhf-type", "kto"])
        arguments[arguments.firstIndex(of: "--batch-size")! + 1] = "1"
        arguments[arguments.firstIndex(of: "--gradient-accumulation-steps")! + 1] = "1"
        #expect { try run(arguments) } throws: { "\($0)".contains("total batch size") }
    }

    @Test func badPreferenceRowIsNamedByFileAndLine() throws {
        let folder = try temporaryFolder("rlhf-bad-row")
        defer { try? FileManager.default.removeItem(at: folder) }
        let rows = try String(contentsOfFile: Self.pairs, encoding: .utf8).split(separator: "\n").prefix(3)
        let file = folder.appendingPathComponent("pairs.jsonl")
        try (rows.joined(separator: "\n") + "\n{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}\n")
            .write(to: file, atomically: true, encoding: .utf8)
        var arguments = base(folder.appendingPathComponent("out"))
        arguments[arguments.firstIndex(of: "--dataset")! + 1] = file.path
        #expect { try run(arguments) } throws: { "\($0)".contains("pairs.jsonl") && "\($0)".contains("4") }
    }

    @Test func sftStillRefusesLossType() throws {
        #expect { _ = try parse(["sft", "--model", "m", "--dataset", "d", "--output", "o", "--loss_type", "x"]) } throws: {
            "\($0)".contains("not supported")
        }
    }
}
