import Foundation
import Testing

/// Bad option values stop the command before any work: a non-zero exit status, a message naming the option (in
/// the spelling given) and the value, and no output written.
@Suite("bad arguments")
struct BadArgumentsTests {
    /// A bad value and what the message must name.
    struct Case: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var option: String
        var value: String
        var testDescription: String { arguments.joined(separator: " ") }

        init(_ arguments: [String], names option: String, _ value: String) {
            self.arguments = arguments
            self.option = option
            self.value = value
        }
    }

    static let training: [Case] = [
        Case(["--max-steps=-3"], names: "--max-steps", "-3"),
        Case(["--max-steps", "-3"], names: "--max-steps", "-3"),
        Case(["--max_steps", "-3"], names: "--max_steps", "-3"),
        Case(["--max-steps", "0"], names: "--max-steps", "0"),
        // Int.max steps: the warmup arithmetic trapped (and the progress line printed "/-1").
        Case(["--max-steps", "9223372036854775807", "--warmup-ratio", "1"], names: "--max-steps", "9223372036854775807"),
        Case(["--save-steps", "-1"], names: "--save-steps", "-1"),
        Case(["--eval_steps", "-2"], names: "--eval_steps", "-2"),
        Case(["--logging-steps", "0"], names: "--logging-steps", "0"),
        Case(["--num-train-epochs", "0"], names: "--num-train-epochs", "0"),
        Case(["--num_train_epochs", "nan"], names: "--num_train_epochs", "nan"),
        Case(["--learning-rate", "-1"], names: "--learning-rate", "-1"),
        Case(["--learning_rate", "inf"], names: "--learning_rate", "inf"),
        Case(["--weight-decay", "nan"], names: "--weight-decay", "nan"),
        Case(["--adam-beta1", "1"], names: "--adam-beta1", "1.0"),
        Case(["--adam_beta2", "1"], names: "--adam_beta2", "1.0"),
        Case(["--adam-beta2", "-0.1"], names: "--adam-beta2", "-0.1"),
        Case(["--adam-epsilon", "0"], names: "--adam-epsilon", "0.0"),
        Case(["--max-grad-norm", "inf"], names: "--max-grad-norm", "inf"),
        Case(["--warmup-ratio", "1.5"], names: "--warmup-ratio", "1.5"),
        Case(["--batch-size", "0"], names: "--batch-size", "0"),
        Case(["--per_device_train_batch_size", "-2"], names: "--per_device_train_batch_size", "-2"),
        Case(["--gradient-accumulation-steps", "0"], names: "--gradient-accumulation-steps", "0"),
        Case(["--gradient-accumulation-steps", "1000000000000"], names: "--gradient-accumulation-steps", "1000000000000"),
        Case(["--batch-size", "9223372036854775807"], names: "--batch-size", "9223372036854775807"),
        Case(["--dataset", "a.jsonl#1000000000000"], names: "a.jsonl#1000000000000", "at most"),
        Case(["--max-length", "-1"], names: "--max-length", "-1"),
        Case(["--max_length", "0"], names: "--max_length", "0"),
        Case(["--lora-rank", "0"], names: "--lora-rank", "0"),
        Case(["--lora-rank", "100000"], names: "--lora-rank", "100000"),
        Case(["--lora-alpha", "0"], names: "--lora-alpha", "0"),
        Case(["--lora_alpha", "nan"], names: "--lora_alpha", "nan"),
        Case(["--lora-dropout", "1"], names: "--lora-dropout", "1.0"),
        Case(["--max-row-bytes", "0"], names: "--max-row-bytes", "0"),
        Case(["--threads", "0"], names: "--threads", "0"),
        Case(["--tuner", "qlora"], names: "--tuner", "qlora"),
        Case(["--optimizer", "adam"], names: "--optimizer", "adam"),
        Case(["--truncation-strategy", "middle"], names: "--truncation-strategy", "middle"),
        Case(["--lorap-lr-ratio", "-2"], names: "--lorap-lr-ratio", "-2"),
        Case(["--quantize", "int8"], names: "--quantize", "int8"),
        Case(["--lr-scheduler", "polynomial", "--power", "-1"], names: "'power'", "-1.0"),
        Case(["--lr-scheduler", "cosine_with_min_lr", "--min-lr", "-1"], names: "'min_lr'", "-1.0"),
    ]

    @Test(arguments: training)
    func trainingOptions(_ bad: Case) throws {
        let folder = try temporaryFolder("badargs")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try head("Defaults/data/train.jsonl", 4, into: folder)
        let output = folder.appendingPathComponent("out")
        let run = try runBinary(["sft", "--model", repositoryPath("Defaults/model"), "--dataset", data, "--output", output.path,
                                 "--max-length", "64", "--max-steps", "1"] + bad.arguments)
        #expect(run.status != 0, "\(run.output)")
        #expect(run.output.contains(bad.option) && run.output.contains(bad.value), "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: output.path), "an output folder was written")
    }

    /// Epochs whose step count does not fit an integer are refused (with --max-steps they do not count).
    @Test func epochsBeyondAnyStepCount() throws {
        let folder = try temporaryFolder("badepochs")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try head("Defaults/data/train.jsonl", 4, into: folder)
        let output = folder.appendingPathComponent("out")
        let run = try runBinary(["sft", "--model", repositoryPath("Defaults/model"), "--dataset", data, "--output", output.path,
                                 "--num-train-epochs", "1e300"])
        #expect(run.status != 0 && run.output.contains("--num-train-epochs") && run.output.contains("1e+300"), "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }

    /// The rank check names the layer that is too small.
    @Test func rankAboveALayerNamesTheLayer() throws {
        let folder = try temporaryFolder("badrank")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try head("Defaults/data/train.jsonl", 4, into: folder)
        let run = try runBinary(["sft", "--model", repositoryPath("Defaults/model"), "--dataset", data, "--output",
                                 folder.appendingPathComponent("out").path, "--lora-rank", "129", "--max-steps", "1"])
        #expect(run.status != 0)
        #expect(run.output.contains("model.layers.0.self_attn.q_proj") && run.output.contains("≤ 128"), "\(run.output)")
    }

    static let generation: [Case] = [
        Case(["--temperature", "nan"], names: "--temperature", "nan"),
        Case(["--temperature", "-1"], names: "--temperature", "-1"),
        Case(["--top-p", "0"], names: "--top-p", "0.0"),
        Case(["--top_p", "1.5"], names: "--top_p", "1.5"),
        Case(["--top-k", "-1"], names: "--top-k", "-1"),
        Case(["--repetition-penalty", "0"], names: "--repetition-penalty", "0.0"),
        Case(["--repetition_penalty", "-1"], names: "--repetition_penalty", "-1"),
        Case(["--repetition-penalty", "inf"], names: "--repetition-penalty", "inf"),
        Case(["--max-new-tokens", "0"], names: "--max-new-tokens", "0"),
        Case(["--max_new_tokens", "1000000000000"], names: "--max_new_tokens", "1000000000000"),
        Case(["--batch-size", "0"], names: "--batch-size", "0"),
        Case(["--max_batch_size", "-1"], names: "--max_batch_size", "-1"),
        Case(["--threads", "-4"], names: "--threads", "-4"),
    ]

    @Test(arguments: generation)
    func generationOptions(_ bad: Case) throws {
        let folder = try temporaryFolder("badgen")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try head("Defaults/data/test.jsonl", 2, into: folder)
        let output = folder.appendingPathComponent("out.jsonl")
        let run = try runBinary(["infer", "--model", repositoryPath("Defaults/model"), "--dataset", data, "--output", output.path]
                                + bad.arguments)
        #expect(run.status != 0, "\(run.output)")
        #expect(run.output.contains(bad.option) && run.output.contains(bad.value), "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: output.path), "an output file was written")
    }

    @Test func evalRowBound() throws {
        let folder = try temporaryFolder("badeval")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try head("Defaults/data/test.jsonl", 2, into: folder)
        let output = folder.appendingPathComponent("out.jsonl")
        let run = try runBinary(["eval", "--model", repositoryPath("Defaults/model"), "--dataset", data, "--output", output.path,
                                 "--max-row-bytes", "-5"])
        #expect(run.status != 0 && run.output.contains("--max-row-bytes") && run.output.contains("-5"), "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }

    /// `demo --lora-rank` at the top of Int is refused by the rank check (α = 2r is computed without overflow).
    @Test func demoRankAtIntMax() throws {
        let folder = try temporaryFolder("baddemo")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try head("Defaults/data/test.jsonl", 2, into: folder)
        let output = folder.appendingPathComponent("adapter")
        let run = try runBinary(["demo", "--model", repositoryPath("Defaults/model"), "--dataset", data, "--test-dataset", data,
                                 "--output", output.path, "--steps", "1", "--threads", "2", "--lora-rank", "9223372036854775807"])
        #expect(run.status != 0 && !run.output.contains("Fatal error"), "\(run.output)")
        #expect(run.output.contains("9223372036854775807") && run.output.contains("min(in, out) = 128"), "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }

    /// A YAML line without a key is named by its line (it was read as `--` and blamed on the option above it).
    @Test func configFileLineWithoutKey() throws {
        let folder = try temporaryFolder("badyaml")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try head("Defaults/data/train.jsonl", 4, into: folder)
        let output = folder.appendingPathComponent("out")
        let yaml = folder.appendingPathComponent("sft.yaml")
        try "model: \(repositoryPath("Defaults/model"))\ndataset: \(data)\noutput_dir: \(output.path)\nmax_steps: 1\n: 5\n"
            .write(to: yaml, atomically: true, encoding: .utf8)
        let run = try runBinary(["sft", "--config", yaml.path])
        #expect(run.status != 0 && run.output.contains("\(yaml.path):5: expected 'key: value', the key is missing"), "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }
}
