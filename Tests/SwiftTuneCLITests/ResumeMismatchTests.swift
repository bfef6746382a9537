import Foundation
import SwiftTuneCore
import Testing
@testable import swifttune

/// Resuming a checkpoint with another tuner, adapter, target modules, optimizer, batch order, model or data is
/// refused, naming the difference, and leaves the run's folder as it was; a checkpoint written before fingerprints
/// were recorded resumes with a note. Serialized: the runs share the kernel thread setting.
@Suite("resume mismatches", .serialized)
struct ResumeMismatchTests {
    func run(_ arguments: [String]) throws {
        let options = try parse(arguments).trainOptions()
        try TrainingJob(options: options, scope: arguments[0] == "pt" ? .allTokens : .assistantTokens).run()
    }

    /// A folder with a 2-step LoRA run checkpointed at step 1; the arguments that resume it unchanged.
    func trainedRun(_ name: String) throws -> (folder: URL, output: URL, arguments: [String]) {
        let folder = try temporaryFolder(name)
        let data = try head("Defaults/data/train.jsonl", 8, into: folder)
        let output = folder.appendingPathComponent("run")
        let arguments = ["sft", "--model", repositoryPath("Defaults/model"), "--dataset", data, "--output", output.path,
                         "--lora-rank", "2", "--max-length", "64", "--batch-size", "4", "--gradient-accumulation-steps", "1",
                         "--max-steps", "2", "--save-steps", "1", "--logging-steps", "1", "--threads", "2"]
        try run(arguments)
        return (folder, output, arguments)
    }

    /// Replaces the value after `option` in `arguments` (or appends the option and value).
    func with(_ arguments: [String], _ option: String, _ value: String) -> [String] {
        var a = arguments
        if let i = a.firstIndex(of: option) { a[i + 1] = value } else { a += [option, value] }
        return a
    }

    @Test func differencesAreRefusedByName() throws {
        let (folder, output, arguments) = try trainedRun("mismatch")
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = ["--resume-from-checkpoint", output.appendingPathComponent("checkpoint-1").path]
        let log = try Data(contentsOf: output.appendingPathComponent("logging.jsonl"))
        // Another model: the same tensors under another configuration value.
        let otherModel = folder.appendingPathComponent("model")
        try FileManager.default.copyItem(atPath: repositoryPath("Defaults/model"), toPath: otherModel.path)
        let configURL = otherModel.appendingPathComponent("config.json")
        let config = try String(contentsOf: configURL, encoding: .utf8).replacingOccurrences(of: "\"rms_norm_eps\" : 1e-06", with: "\"rms_norm_eps\" : 1e-05")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        let otherData = try head("Defaults/data/test.jsonl", 8, into: folder)
        let cases: [(arguments: [String], field: String, checkpointValue: String, runValue: String)] = [
            (with(arguments, "--optimizer", "sgd"), "optimizer", "adamw", "sgd"),
            (with(arguments, "--adam-beta2", "0.99"), "optimizer", "beta2=0.95", "beta2=0.99"),
            (with(arguments, "--tuner", "full"), "tuner", "lora", "full"),
            (with(arguments, "--tuner", "dora"), "tuner", "lora", "dora"),
            (with(arguments, "--lora-rank", "4"), "adapter", "r=2", "r=4"),
            (with(arguments, "--target-modules", "q_proj"), "target modules", "28 modules", "4 modules"),
            (with(arguments, "--seed", "7"), "data order", "seed=42", "seed=7"),
            (with(arguments, "--model", otherModel.path), "model fingerprint", "", ""),
            (with(arguments, "--dataset", otherData), "data fingerprint", "", ""),
        ]
        for c in cases {
            #expect {
                try run(c.arguments + checkpoint)
            } throws: { error in
                guard case let TrainingError.resumeMismatch(_, field, old, new)? = error as? TrainingError else { return false }
                func shows(_ text: String, _ part: String) -> Bool { part.isEmpty || text.contains(part) }
                return field == c.field && shows(old, c.checkpointValue) && shows(new, c.runValue) && old != new
                    && "\(error)".contains("the checkpoint was trained with \(c.field)")
            }
            #expect(try Data(contentsOf: output.appendingPathComponent("logging.jsonl")) == log, "a refused resume touched the log")
        }
        // Unchanged settings resume, and continue the log after the checkpoint.
        try run(arguments + checkpoint)
        #expect(try loggedLosses(output).map(\.step) == [1, 2])
    }

    /// A checkpoint without a fingerprint (as older SwiftTune wrote them) is accepted: its state is restored.
    @Test func checkpointsWithoutAFingerprintResume() throws {
        let (folder, output, arguments) = try trainedRun("legacy")
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = output.appendingPathComponent("checkpoint-1")
        let stateURL = checkpoint.appendingPathComponent("trainer_state.json")
        var state = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: stateURL)) as? [String: Any])
        #expect(state["fingerprint"] != nil)
        state["fingerprint"] = nil
        try JSONSerialization.data(withJSONObject: state).write(to: stateURL)
        let before = try loggedLosses(output)
        try run(arguments + ["--resume-from-checkpoint", checkpoint.path])
        let after = try loggedLosses(output)
        #expect(after.map(\.step) == [1, 2])
        #expect(after.map(\.loss) == before.map(\.loss), "the resumed run differs from the uninterrupted one")
    }
}

extension ResumeMismatchTests {
    /// A `trainer_state.json` with a negative or absurd position is refused naming the file and key.
    @Test func corruptPositionsAreRefused() throws {
        let (folder, output, arguments) = try trainedRun("corrupt")
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = output.appendingPathComponent("checkpoint-1")
        let stateURL = checkpoint.appendingPathComponent("trainer_state.json")
        let original = try Data(contentsOf: stateURL)
        for (key, value) in [("microBatchIndex", -5), ("step", Int.max)] {
            var state = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
            state[key] = value
            try JSONSerialization.data(withJSONObject: state).write(to: stateURL)
            #expect {
                try run(arguments + ["--resume-from-checkpoint", checkpoint.path])
            } throws: { error in
                "\(error)".contains("trainer_state.json: '\(key)' is \(value)")
            }
        }
    }
}
