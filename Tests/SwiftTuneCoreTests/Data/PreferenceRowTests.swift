import Foundation
@testable import SwiftTuneCore
import Testing

private let preferenceUser = #"{"role": "user", "content": "q"}"#
private let preferenceReply = #"{"role": "assistant", "content": "good"}"#

/// ms-swift's preference rows: pairs (`rejected_response`, `rejected_messages`), KTO rows (`label`), pre-tokenized.
@Suite("Preference rows")
struct PreferenceRowTests {
    func row(_ json: String) throws -> PreferenceRow { try PreferenceRow(json: Data(json.utf8)) }

    @Test func rejectedResponseReplacesTheReplyAfterTheLastUserMessage() throws {
        let r = try row(#"{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}, {"role": "assistant", "content": "good"}], "rejected_response": "bad"}"#)
        guard case let .pair(chosen, rejected, tools) = r else { Issue.record("not a pair: \(r)"); return }
        #expect(chosen.map(\.content) == ["s", "q", "good"])
        #expect(rejected.map(\.content) == ["s", "q", "bad"])
        #expect(rejected.map(\.role) == ["system", "user", "assistant"])
        #expect(tools == nil)
        #expect(r.isPair)
    }

    @Test func rejectedResponseMayBeAListOfMessages() throws {
        let r = try row(#"{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "good"}], "rejected_response": [{"role": "assistant", "content": "b1"}]}"#)
        guard case let .pair(_, rejected, _) = r else { Issue.record("not a pair"); return }
        #expect(rejected.map(\.content) == ["q", "b1"])
    }

    @Test func rejectedMessagesAreAFullConversation() throws {
        let r = try row(#"{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "good"}], "rejected_messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "bad"}], "tools": [{"type": "function", "function": {"name": "f"}}]}"#)
        guard case let .pair(chosen, rejected, tools) = r else { Issue.record("not a pair"); return }
        #expect(chosen.last?.content == "good")
        #expect(rejected.last?.content == "bad")
        #expect(tools?.count == 1)
    }

    @Test func queryResponseRowsKeepTheirRejectedResponse() throws {
        let r = try row(#"{"query": "q", "response": "good", "rejected_response": "bad", "system": "s"}"#)
        guard case let .pair(chosen, rejected, _) = r else { Issue.record("not a pair"); return }
        #expect(chosen.map(\.content) == ["s", "q", "good"])
        #expect(rejected.map(\.content) == ["s", "q", "bad"])
    }

    @Test(arguments: [("true", true), ("false", false), ("1", true), ("0", false)])
    func ktoLabels(label: String, desirable: Bool) throws {
        let r = try row(#"{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], "label": \#(label)}"#)
        #expect(r == .unpaired(messages: [DatasetMessage(role: "user", content: "q"), DatasetMessage(role: "assistant", content: "a")],
                               desirable: desirable, tools: nil))
        #expect(!r.isPair)
    }

    @Test func preTokenizedRows() throws {
        #expect(try row(#"{"prompt_ids": [1, 2], "chosen_ids": [3], "rejected_ids": [4, 5]}"#)
                == .tokenizedPair(promptIDs: [1, 2], chosenIDs: [3], rejectedIDs: [4, 5]))
        #expect(try row(#"{"prompt_ids": [1], "completion_ids": [7, 8], "label": false}"#)
                == .tokenizedUnpaired(promptIDs: [1], completionIDs: [7, 8], desirable: false))
    }

    @Test func aPairUnpairsIntoChosenDesirableThenRejectedUndesirable() throws {
        let r = try row(#"{"prompt_ids": [1], "chosen_ids": [3], "rejected_ids": [4]}"#)
        #expect(r.unpairedRows == [.tokenizedUnpaired(promptIDs: [1], completionIDs: [3], desirable: true),
                                   .tokenizedUnpaired(promptIDs: [1], completionIDs: [4], desirable: false)])
    }

    @Test(arguments: [
        (#"{"messages": [\#(preferenceUser), \#(preferenceReply)]}"#, "no 'rejected_response', 'rejected_messages' or 'label'"),
        (#"{"messages": [\#(preferenceUser), \#(preferenceReply)], "rejected_response": "good"}"#, "same text as the chosen reply"),
        (#"{"messages": [\#(preferenceUser), \#(preferenceReply)], "rejected_response": 3}"#, "'rejected_response' is not a string"),
        (#"{"messages": [\#(preferenceUser), \#(preferenceReply)], "rejected_response": [\#(preferenceUser)]}"#, "has role 'user'"),
        (#"{"messages": [\#(preferenceUser), \#(preferenceReply)], "rejected_messages": "bad"}"#, "'rejected_messages' is not a list"),
        (#"{"messages": [\#(preferenceUser), \#(preferenceReply)], "rejected_messages": [\#(preferenceUser)]}"#, "'rejected_messages' has no assistant message"),
        (#"{"messages": [\#(preferenceUser), \#(preferenceReply)], "rejected_messages": [{"role": "narrator", "content": "x"}]}"#, "'rejected_messages': message 0 has role 'narrator'"),
        (#"{"messages": [\#(preferenceUser), \#(preferenceReply)], "rejected_messages": [\#(preferenceUser), \#(preferenceReply)], "rejected_response": "b"}"#, "both"),
        (#"{"messages": [\#(preferenceUser)], "rejected_response": "b"}"#, "'messages' has no assistant message"),
        (#"{"messages": [\#(preferenceUser), \#(preferenceReply)], "label": "yes"}"#, "'label' is not true, false, 0 or 1"),
        (#"{"messages": [\#(preferenceUser), \#(preferenceReply)], "label": 2}"#, "'label' is not true, false, 0 or 1"),
        (#"{"messages": [\#(preferenceUser), \#(preferenceReply)], "label": true, "rejected_response": "b"}"#, "'label' (a KTO row) together with"),
        (#"{"text": "plain"}"#, "needs a conversation"),
        (#"{"prompt_ids": [1], "chosen_ids": [2]}"#, "'prompt_ids' without 'rejected_ids'"),
        (#"{"prompt_ids": [], "chosen_ids": [2], "rejected_ids": [3]}"#, "'prompt_ids' is empty"),
        (#"{"prompt_ids": [1], "chosen_ids": [], "rejected_ids": [3]}"#, "'chosen_ids' is empty"),
        (#"{"prompt_ids": [1, 2.5], "chosen_ids": [2], "rejected_ids": [3]}"#, "'prompt_ids' entry 1 is not an integer"),
        (#"{"prompt_ids": [1], "chosen_ids": [-2], "rejected_ids": [3]}"#, "'chosen_ids' entry 0 is negative"),
        (#"{"prompt_ids": [1], "completion_ids": [2]}"#, "'completion_ids' without 'label'"),
        (#"{"prompt_ids": [1], "label": true}"#, "'prompt_ids' without 'completion_ids'"),
        (#"{"prompt_ids": [1], "chosen_ids": [2], "rejected_ids": [3], "label": true}"#, "together with 'chosen_ids'"),
        (#"[1, 2]"#, "not a JSON object"),
        (#"{"messages": "#, "not valid JSON"),
    ])
    func badRowsSayWhatIsWrong(json: String, fragment: String) throws {
        do {
            let r = try row(json)
            Issue.record("accepted \(json) as \(r)")
        } catch let problem as DatasetRowProblem {
            #expect(problem.description.contains(fragment), "\(problem)")
        }
    }
}

/// Reading preference JSONL files: rows by line, bad rows naming file and line, skip-bad-rows, pairs for KTO.
@Suite("Preference datasets")
struct PreferenceDatasetTests {
    static let pair = #"{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], "rejected_response": "b"}"#
    static let kto = #"{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], "label": false}"#

    func file(_ lines: [String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("swifttune-pref-\(UInt32.random(in: 0...UInt32.max)).jsonl")
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func rowsKeepTheirLineNumbers() throws {
        let url = try file([Self.pair, "", #"{"prompt_ids": [1], "chosen_ids": [2], "rejected_ids": [3]}"#])
        defer { try? FileManager.default.removeItem(at: url) }
        let d = try PreferenceDataset(contentsOf: url, kind: .paired)
        #expect(d.rows.map(\.line) == [1, 3])
        #expect(d.skipped.isEmpty)
    }

    @Test func aBadRowNamesFileAndLine() throws {
        let url = try file([Self.pair, Self.pair, #"{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], "rejected_response": 7}"#])
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: DatasetError.badRow(file: url.path, line: 3, reason: "'rejected_response' is not a string or a list of messages")) {
            try PreferenceDataset(contentsOf: url, kind: .paired)
        }
        let d = try PreferenceDataset(contentsOf: url, kind: .paired, skipBadRows: true)
        #expect(d.rows.map(\.line) == [1, 2])
        #expect(d.skipped.count == 1)
        #expect(d.skipped.first?.description.hasPrefix("\(url.path):3: ") == true)
    }

    @Test func aKTORowInAPairedDatasetIsABadRow() throws {
        let url = try file([Self.pair, Self.kto])
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            _ = try PreferenceDataset(contentsOf: url, kind: .paired)
            Issue.record("accepted a KTO row")
        } catch let DatasetError.badRow(file, line, reason) {
            #expect(file == url.path && line == 2 && reason.contains("KTO row"), "\(reason)")
        }
    }

    @Test func anUnpairedDatasetUnpairsPairs() throws {
        let url = try file([Self.kto, Self.pair])
        defer { try? FileManager.default.removeItem(at: url) }
        let d = try PreferenceDataset(contentsOf: url, kind: .unpaired)
        #expect(d.rows.map(\.line) == [1, 2, 2])
        #expect(d.rows.map { r -> Bool? in if case let .unpaired(_, desirable, _) = r.row { return desirable } else { return nil } } == [false, true, false])
    }

    @Test func tooLongLinesAndEmptyFiles() throws {
        let url = try file([Self.pair, Self.pair])
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: DatasetError.rowTooLarge(file: url.path, line: 1, bytes: Self.pair.utf8.count, limit: 20)) {
            try PreferenceDataset(contentsOf: url, kind: .paired, maxRowBytes: 20)
        }
        let empty = try file(["", "  "])
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: DatasetError.empty(file: empty.path)) { try PreferenceDataset(contentsOf: empty, kind: .paired) }
    }
}
