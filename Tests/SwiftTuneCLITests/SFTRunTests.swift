import Foundation
import SwiftTuneCore
import Testing
@testable import swifttune

/// Short real `sft` runs on the embedded defaults (Defaults/model, a slice of Defaults/data): the same result in
/// both spellings, `file#N` sampling, and `logging.jsonl` across a resume. Serialized: the runs share the kernel
/// thread setting.
@Suite("sft runs", .serialized)
struct SFTRunTests {
    func run(_ arguments: [String]) throws {
        let box = try parse(arguments)
        let options = try box.trainOptions()
        try TrainingJob(options: options, scope: arguments[0] == "pt" ? .allTokens : .assistantTokens).run()
    }

    @Test func bothSpellingsTrainTheSameAdapter() throws {
        let folder = try temporaryFolder("spellings")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try head("Defaults/data/train.jsonl", 24, into: folder)
        let kebab = folder.appendingPathComponent("kebab"), snake = folder.appendingPathComponent("snake")
        try run(["sft", "--model", repositoryPath("Defaults/model"), "--dataset", data, "--output", kebab.path,
                 "--tuner", "dora", "--lora-rank", "4", "--max-length", "64", "--batch-size", "4",
                 "--gradient-accumulation-steps", "1", "--learning-rate", "3e-3", "--max-steps", "3",
                 "--lr-scheduler", "linear", "--warmup-steps", "1", "--logging-steps", "1", "--threads", "2"])
        try run(["sft", "--model", repositoryPath("Defaults/model"), "--dataset", data, "--output_dir", snake.path,
                 "--train_type", "lora", "--use_dora", "true", "--lora_rank", "4", "--max_length", "64",
                 "--per_device_train_batch_size", "4", "--gradient_accumulation_steps", "1", "--learning_rate", "3e-3",
                 "--max_steps", "3", "--lr_scheduler_type", "linear", "--warmup_steps", "1", "--logging_steps", "1",
                 "--threads", "2"])
        let a = try Data(contentsOf: kebab.appendingPathComponent("adapter_model.safetensors"))
        let b = try Data(contentsOf: snake.appendingPathComponent("adapter_model.safetensors"))
        #expect(a == b, "the two spellings trained different adapters")
        let la = try loggedLosses(kebab), lb = try loggedLosses(snake)
        #expect(la.map(\.step) == [1, 2, 3] && la.map(\.loss) == lb.map(\.loss), "\(la) vs \(lb)")
    }

    /// A resumed run keeps `logging.jsonl` up to the checkpoint and appends after it: the file equals an
    /// uninterrupted run's, step by step.
    @Test func resumeAppendsToTheLog() throws {
        let folder = try temporaryFolder("resume")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try head("Defaults/data/train.jsonl", 16, into: folder)
        let out = folder.appendingPathComponent("run")
        let common = ["sft", "--model", repositoryPath("Defaults/model"), "--dataset", data, "--output", out.path,
                      "--lora-rank", "2", "--max-length", "64", "--batch-size", "4", "--gradient-accumulation-steps", "1",
                      "--max-steps", "4", "--save-steps", "2", "--logging-steps", "1", "--threads", "2"]
        try run(common)
        let full = try loggedLosses(out)
        #expect(full.map(\.step) == [1, 2, 3, 4])
        try run(common + ["--resume_from_checkpoint", out.appendingPathComponent("checkpoint-2").path])
        let resumed = try loggedLosses(out)
        #expect(resumed.map(\.step) == [1, 2, 3, 4])
        #expect(resumed.map(\.loss) == full.map(\.loss), "\(resumed) vs \(full)")
        // Logging every N steps: the first, every N-th and the last step.
        let sparse = folder.appendingPathComponent("sparse")
        try run(["sft", "--model", repositoryPath("Defaults/model"), "--dataset", data, "--output", sparse.path,
                 "--lora-rank", "2", "--max-length", "64", "--batch-size", "4", "--gradient-accumulation-steps", "1",
                 "--max-steps", "7", "--logging_steps", "3", "--threads", "2"])
        #expect(try loggedLosses(sparse).map(\.step) == [1, 3, 6, 7])
    }

    /// `file#N` rows are drawn as ms-swift's `sample_dataset` draws them (Tools/generate_sampling_fixtures.py holds
    /// the NumPy side); a validation set takes its first N rows and refuses more than it has.
    @Test func datasetSampleSizes() throws {
        let folder = try temporaryFolder("sample")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try head("Defaults/data/train.jsonl", 10, into: folder)
        let options = try parse(["sft", "--model", repositoryPath("Defaults/model"), "--dataset", "\(data)#25", data,
                                 "--output", folder.path, "--max-length", "64"]).trainOptions()
        let job = TrainingJob(options: options, scope: .assistantTokens)
        let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: repositoryPath("Defaults/model")))
        let encoder = SampleEncoder(tokenizer: tokenizer, scope: .assistantTokens, maxLength: 64)
        let configuration = try options.trainingConfiguration()
        let samples = try job.encode(options.dataset, encoder, validation: false, configuration: configuration)
        let plain = try job.encode([data], encoder, validation: false, configuration: configuration)
        #expect(samples.count == 35)
        // Two full copies, then the first five rows of RandomState(42).permutation(10) = [8, 1, 5, 0, 7, ...].
        let expected = (0..<10).map { plain[$0].ids } + (0..<10).map { plain[$0].ids } + [8, 1, 5, 0, 7].map { plain[$0].ids }
        #expect(samples.prefix(25).map(\.ids) == expected)
        let validation = try job.encode(["\(data)#3"], encoder, validation: true, configuration: configuration)
        #expect(validation.map(\.ids) == plain.prefix(3).map(\.ids))
        #expect(throws: Error.self) { try job.encode(["\(data)#11"], encoder, validation: true, configuration: configuration) }
    }

    /// With standard error not a terminal, progress is plain lines for the logged steps, without carriage returns.
    @Test func plainProgressLinesInLogs() throws {
        let binary = repositoryRoot.appendingPathComponent(".build/debug/swifttune")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { return }
        let folder = try temporaryFolder("plain")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try head("Defaults/data/train.jsonl", 8, into: folder)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["sft", "--model", repositoryPath("Defaults/model"), "--dataset", data, "--output_dir",
                             folder.appendingPathComponent("out").path, "--lora_rank", "2", "--max_length", "64",
                             "--per_device_train_batch_size", "4", "--gradient_accumulation_steps", "1", "--max_steps", "6",
                             "--logging_steps", "5", "--threads", "2"]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(!text.contains("\r"))
        let steps = text.split(separator: "\n").filter { $0.hasPrefix("step ") }.map { $0.split(separator: " ")[1] }
        #expect(steps == ["1/6", "5/6", "6/6"], "\(text)")
    }
}
