import Foundation
import SwiftTuneCore
import Testing

/// `--reward-command` with small shell / awk scorers spawned by the tests.
@Suite("External reward command")
struct RewardCommandTests {
    let inputs = [
        RewardInput(completion: "one \"quoted\"\nline", completionIDs: [1, 2], prompt: [DatasetMessage(role: "user", content: "hi")],
                    columns: ["solution": .string("x"), "n": .number(3)]),
        RewardInput(completion: "ünï", completionIDs: [], columns: [:]),
        RewardInput(completion: "", completionIDs: [7], columns: ["solution": .null]),
    ]

    /// A shell + awk scorer answering, for request number k (1-based), scores k, k+1, … one per `"completion":`:
    /// the count proves one request per batch with every input, k that one process serves every batch.
    static let counting = #"k=0; while IFS= read -r line; do k=$((k + 1)); printf '%s\n' "$line" | awk -v k=$k '{ n = gsub(/"completion":/, "&"); printf "{\"scores\": ["; for (i = 0; i < n; i++) printf "%s%d", (i ? "," : ""), k + i; print "]}" }'; done"#

    @Test func oneLongLivedProcessOneRequestPerBatch() throws {
        let scorer = try RewardCommand(command: Self.counting, timeout: 20)
        defer { scorer.stop() }
        #expect(try scorer.scores(for: inputs) == [1, 2, 3])
        #expect(try scorer.scores(for: Array(inputs.prefix(2))) == [2, 3])
        #expect(try scorer.scores(for: []) == [])
        #expect(scorer.name == "reward_command")
    }

    /// The request line as the scorer sees it (the scorer copies it to stderr-free file and answers nulls).
    @Test func requestSchema() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("swifttune-reward-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        let scorer = try RewardCommand(command: "while read -r line; do printf '%s\\n' \"$line\" >> '\(file.path)'; echo '{\"id\": 0, \"scores\": [null, 0.25, -1e3]}'; done", timeout: 20)
        defer { scorer.stop() }
        #expect(try scorer.scores(for: inputs) == [nil, 0.25, -1000])
        let line = try String(contentsOf: file, encoding: .utf8)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(json["id"] as? Int == 0)
        let sent = try #require(json["inputs"] as? [[String: Any]])
        #expect(sent.count == 3)
        #expect(sent[0]["completion"] as? String == "one \"quoted\"\nline")
        #expect(sent[0]["completion_ids"] as? [Int] == [1, 2])
        #expect((sent[0]["messages"] as? [[String: String]]) == [["role": "user", "content": "hi"]])
        let columns = try #require(sent[0]["columns"] as? [String: Any])
        #expect(columns["solution"] as? String == "x" && columns["n"] as? Int == 3)
        #expect(sent[1]["completion"] as? String == "ünï")
        #expect((sent[2]["columns"] as? [String: Any])?["solution"] is NSNull)
    }

    @Test func aScorerThatDiesIsAnError() throws {
        let scorer = try RewardCommand(command: "read -r line; echo 'model not found' >&2; exit 3", timeout: 20)
        defer { scorer.stop() }
        do {
            _ = try scorer.scores(for: inputs)
            Issue.record("expected an error")
        } catch let RewardCommandError.exited(_, status, stderr) {
            #expect(status == "exit status 3")
            #expect(stderr == "model not found")
        }
        #expect(throws: RewardCommandError.self) { try scorer.scores(for: inputs) }
        do { _ = try scorer.scores(for: inputs) } catch { #expect("\(error)".contains("stopped after an earlier failure")) }
    }

    @Test func aScorerThatExitsAtOnceIsAnError() throws {
        let scorer = try RewardCommand(command: "exit 0", timeout: 20)
        defer { scorer.stop() }
        #expect(throws: RewardCommandError.self) { try scorer.scores(for: inputs) }
    }

    @Test func aScorerThatHangsTimesOut() throws {
        let scorer = try RewardCommand(command: "read -r line; sleep 60", timeout: 0.3)
        defer { scorer.stop() }
        #expect(throws: RewardCommandError.timedOut(command: "read -r line; sleep 60", seconds: 0.3)) {
            try scorer.scores(for: inputs)
        }
    }

    @Test(arguments: [
        ("echo 'not json'", "not JSON"),
        ("echo '[1, 2, 3]'", "not a JSON object"),
        ("echo '{\"score\": [1, 2, 3]}'", "no \"scores\" array"),
        ("echo '{\"scores\": [1, \"a\", 3]}'", "scores[1]"),
        ("echo '{\"id\": 5, \"scores\": [1, 2, 3]}'", "id 5 answers request 0"),
    ])
    func malformedAnswers(reply: String, reason: String) throws {
        let scorer = try RewardCommand(command: "read -r line; \(reply); sleep 60", timeout: 20)
        defer { scorer.stop() }
        do {
            _ = try scorer.scores(for: inputs)
            Issue.record("expected an error for \(reply)")
        } catch let RewardCommandError.malformedResponse(_, _, got) {
            #expect(got.contains(reason), "\(got)")
        }
    }

    @Test func wrongCountAndReportedErrors() throws {
        let short = try RewardCommand(command: "read -r line; echo '{\"scores\": [1]}'; sleep 60", timeout: 20)
        defer { short.stop() }
        #expect(throws: RewardCommandError.wrongCount(command: "read -r line; echo '{\"scores\": [1]}'; sleep 60", expected: 3, got: 1)) {
            try short.scores(for: inputs)
        }
        let failing = try RewardCommand(command: "read -r line; echo '{\"error\": \"GPU out of memory\"}'; sleep 60", timeout: 20)
        defer { failing.stop() }
        do { _ = try failing.scores(for: inputs) } catch {
            #expect("\(error)".contains("the scorer reported: GPU out of memory"))
        }
    }

    @Test func badTimeoutAndMissingProgram() throws {
        #expect(throws: RewardCommandError.invalidTimeout(0)) { try RewardCommand(command: "cat", timeout: 0) }
        #expect(throws: RewardCommandError.invalidTimeout(.infinity)) { try RewardCommand(command: "cat", timeout: .infinity) }
        let missing = try RewardCommand(command: "/nonexistent/scorer-binary", timeout: 20)
        defer { missing.stop() }
        do { _ = try missing.scores(for: inputs) } catch let RewardCommandError.exited(_, status, stderr) {
            #expect(status == "exit status 127")
            #expect(stderr.contains("nonexistent"))
        }
    }

    @Test func usableWithTheRegistryScoring() throws {
        let scorer = try RewardCommand(command: Self.counting, timeout: 20, name: "judge")
        defer { scorer.stop() }
        let rows = try RewardRegistry.score(inputs, with: [LengthReward(), scorer])
        #expect(rows == [[2, 1], [0, 2], [1, 3]])
    }
}
