import Foundation
import Testing

/// Bad dataset rows are refused with the file and line (or skipped and reported with `--skip-bad-rows`); rows
/// longer than the model's positions are truncated or dropped as `--truncation-strategy` says, never a crash.
@Suite("bad rows")
struct BadRowsTests {
    /// A folder with `rows` (one JSONL line each) written to `data.jsonl`.
    func dataset(_ rows: [String]) throws -> (folder: URL, path: String) {
        let folder = try temporaryFolder("badrows")
        let url = folder.appendingPathComponent("data.jsonl")
        try (rows.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return (folder, url.path)
    }

    func train(_ command: String, _ path: String, output: URL, _ extra: [String] = []) throws -> BinaryRun {
        try runBinary([command, "--model", repositoryPath("Defaults/model"), "--dataset", path, "--output", output.path,
                       "--max-steps", "1", "--lora-rank", "2", "--batch-size", "2", "--gradient-accumulation-steps", "1",
                       "--threads", "2"] + extra)
    }

    static let good = #"{"input_ids": [1, 5, 6, 7, 8], "labels": [1, 5, 6, 7, 8]}"#

    /// (rows, what the message names after `data.jsonl:LINE`).
    static let refused: [(rows: [String], line: Int, reason: String)] = [
        ([good, "{oops"], 2, "not valid JSON"),
        ([good, good, #"{"input_ids": [1, 2, 99999]}"#], 3, "token id 99999"),
        ([#"{"input_ids": [1, -4, 3]}"#], 1, "token id -4"),
        ([good, #"{"input_ids": [1, 2, 3], "labels": [1, 2, 5000]}"#], 2, "label 5000"),
        ([good, #"{"input_ids": [1, 2, 3], "labels": [-7, 2, 3]}"#], 2, "label -7"),
    ]

    @Test(arguments: ["sft", "pt"], 0..<refused.count)
    func refusedWithFileAndLine(_ command: String, _ index: Int) throws {
        let bad = Self.refused[index]
        let (folder, path) = try dataset(bad.rows)
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("out")
        let run = try train(command, path, output: output)
        #expect(run.status != 0)
        #expect(run.output.contains("data.jsonl:\(bad.line): ") && run.output.contains(bad.reason), "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }

    /// A line over `--max-row-bytes` is refused by number before it is decoded; `--skip-bad-rows` skips it.
    @Test func oversizedLine() throws {
        let long = #"{"text": ""# + String(repeating: "a", count: 5000) + #""}"#
        let (folder, path) = try dataset([Self.good, Self.good, long, Self.good])
        defer { try? FileManager.default.removeItem(at: folder) }
        let refused = try train("pt", path, output: folder.appendingPathComponent("a"), ["--max-row-bytes", "1000"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("data.jsonl:3: ") && refused.output.contains("--max-row-bytes"), "\(refused.output)")
        let skipped = try train("pt", path, output: folder.appendingPathComponent("b"), ["--max-row-bytes", "1000", "--skip-bad-rows"])
        #expect(skipped.status == 0, "\(skipped.output)")
        #expect(skipped.output.contains("data.jsonl:3: "), "\(skipped.output)")
    }

    /// `--max-length` above the model's 256 positions is capped with a note; a longer row is truncated (`right`) or
    /// dropped (`delete`), never reaches the model.
    @Test func rowsLongerThanThePositions() throws {
        let ids = (0..<300).map { String(3 + $0 % 500) }.joined(separator: ", ")
        let (folder, path) = try dataset(["{\"input_ids\": [\(ids)]}", Self.good])
        defer { try? FileManager.default.removeItem(at: folder) }
        let truncated = try train("pt", path, output: folder.appendingPathComponent("a"),
                                  ["--max-length", "2048", "--truncation-strategy", "right"])
        #expect(truncated.status == 0, "\(truncated.output)")
        #expect(truncated.output.contains("--max-length 2048") && truncated.output.contains("using 256"), "\(truncated.output)")
        let dropped = try train("pt", path, output: folder.appendingPathComponent("b"))
        #expect(dropped.status == 0, "\(dropped.output)")
        #expect(dropped.output.contains("1 dropped"), "\(dropped.output)")
    }

    @Test func evalRefusesBadRows() throws {
        let ids = (0..<300).map { String(3 + $0 % 500) }.joined(separator: ", ")
        let cases: [(rows: [String], expected: String)] = [
            ([Self.good, "{\"input_ids\": [\(ids)]}"], "data.jsonl:2: a sample of 300 tokens is longer than the model's max_position_embeddings 256"),
            ([Self.good, #"{"input_ids": [1, 2, 3], "labels": [1, 2, 640]}"#], "data.jsonl:2: label 640"),
            ([#"{"input_ids": [1, 2, 3], "labels": [-100, -100, -100]}"#], "no row scores a token"),
            ([Self.good, "[1, 2]"], "data.jsonl:2: not a JSON object"),
        ]
        for c in cases {
            let (folder, path) = try dataset(c.rows)
            defer { try? FileManager.default.removeItem(at: folder) }
            let output = folder.appendingPathComponent("eval.jsonl")
            let run = try runBinary(["eval", "--model", repositoryPath("Defaults/model"), "--dataset", path, "--output", output.path])
            #expect(run.status != 0, "\(c.expected): \(run.output)")
            #expect(run.output.contains(c.expected), "\(run.output)")
            #expect(!FileManager.default.fileExists(atPath: output.path))
        }
    }

    /// A prompt that fills the model's positions is refused by row; a long one generates only up to the positions.
    @Test func inferPromptsAgainstThePositions() throws {
        let full = (0..<256).map { String(3 + $0 % 500) }.joined(separator: ", ")
        let long = (0..<250).map { String(3 + $0 % 500) }.joined(separator: ", ")
        let (folder, path) = try dataset([Self.good, "{\"input_ids\": [\(full)]}"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("out.jsonl")
        let refused = try runBinary(["infer", "--model", repositoryPath("Defaults/model"), "--dataset", path, "--output", output.path])
        #expect(refused.status != 0 && refused.output.contains("data.jsonl:2: the prompt has 256 tokens"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: output.path))
        let (folder2, path2) = try dataset([Self.good, "{\"input_ids\": [\(long)]}"])
        defer { try? FileManager.default.removeItem(at: folder2) }
        let ok = try runBinary(["infer", "--model", repositoryPath("Defaults/model"), "--dataset", path2, "--output", output.path,
                                "--max-new-tokens", "20", "--batch-size", "2"])
        #expect(ok.status == 0, "\(ok.output)")
        let lines = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
        let counts = try lines.map { line -> Int in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return try #require(object["output_ids"] as? [Int]).count
        }
        #expect(counts.count == 2 && counts[1] <= 6, "\(counts)")
    }

    /// `demo` held-out rows are a prompt and its reference; a row without the assistant's answer is named, not a crash.
    @Test func demoHeldOutRowWithoutReference() throws {
        let (folder, path) = try dataset([
            #"{"messages": [{"role": "user", "content": "Translate to Tunish: two birds"}, {"role": "assistant", "content": "tupu meku"}]}"#,
            #"{"messages": [{"role": "user", "content": "Translate to Tunish: a bird"}]}"#,
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("adapter")
        let run = try runBinary(["demo", "--model", repositoryPath("Defaults/model"), "--dataset", path, "--test-dataset", path,
                                 "--output", output.path, "--steps", "1", "--threads", "2"])
        #expect(run.status != 0 && !run.output.contains("Fatal error"), "\(run.output)")
        #expect(run.output.contains("\(path):2: a held-out row needs a user message followed by"), "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }
}
