import Foundation
import Testing

/// A run that diverges (SGD at a learning rate of 10³⁰) stops at the first non-finite step with a non-zero exit,
/// keeping the checkpoint before it and saving no result; with `--skip-nonfinite-steps` it skips and counts them
/// in `logging.jsonl` and at the end.
@Suite("non-finite runs")
struct NonFiniteRunTests {
    @Test func stopOrSkip() throws {
        let folder = try temporaryFolder("nonfinite")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try head("Defaults/data/train.jsonl", 8, into: folder)
        let common = ["sft", "--model", repositoryPath("Defaults/model"), "--dataset", data, "--max-length", "64",
                      "--batch-size", "2", "--gradient-accumulation-steps", "1", "--threads", "2", "--logging-steps", "1",
                      "--tuner", "full", "--optimizer", "sgd", "--learning-rate", "1e30", "--max-grad-norm", "0",
                      "--max-steps", "4", "--save-steps", "1", "--lr-scheduler", "constant"]
        let stopped = folder.appendingPathComponent("stopped")
        let stop = try runBinary(common + ["--output", stopped.path])
        #expect(stop.status != 0)
        #expect(stop.output.contains("step 2: the loss"), "\(stop.output)")
        let left = try FileManager.default.contentsOfDirectory(atPath: stopped.path).filter { !$0.hasPrefix(".") }.sorted()
        #expect(left == ["checkpoint-1", "logging.jsonl"], "\(left)")

        let skipped = folder.appendingPathComponent("skipped")
        let skip = try runBinary(common + ["--output", skipped.path, "--skip-nonfinite-steps"])
        #expect(skip.status == 0, "\(skip.output)")
        #expect(skip.output.contains("skipped 3 of 4 steps"), "\(skip.output)")
        let text = try String(contentsOf: skipped.appendingPathComponent("logging.jsonl"), encoding: .utf8)
        let records = try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(records.map { $0["skipped_nonfinite_steps"] as? Int } == [0, 1, 2, 3])
        #expect(records.map { $0["skipped"] as? Bool } == [false, true, true, true])
        #expect(records.dropFirst().allSatisfy { $0["loss"] is NSNull })
    }
}
