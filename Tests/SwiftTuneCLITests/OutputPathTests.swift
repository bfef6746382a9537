import Foundation
import Testing

/// An output path that cannot be written is refused before any work, with the reason in words (never a Foundation
/// error code), for every command that writes.
@Suite("output paths") struct OutputPathTests {
    @Test(arguments: ["infer", "eval", "sft"])
    func outputUnderAFileIsNamed(_ command: String) throws {
        let folder = try temporaryFolder("output-path")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("file")
        try Data("x".utf8).write(to: file)
        let data = try head("Defaults/data/test.jsonl", 2, into: folder)
        let output = file.appendingPathComponent(command == "sft" ? "run" : "out.jsonl").path
        var arguments = [command, "--model", repositoryPath("Defaults/model"), "--dataset", data, "--output", output]
        if command == "sft" { arguments += ["--max-steps", "1"] }
        let run = try runBinary(arguments)
        #expect(run.status != 0)
        #expect(run.output.contains("'\(file.path)' is a file, not a folder"), "\(run.output)")
        #expect(!run.output.contains("NSCocoaErrorDomain") && !run.output.contains("/2 rows"), "\(run.output)")
    }
}
