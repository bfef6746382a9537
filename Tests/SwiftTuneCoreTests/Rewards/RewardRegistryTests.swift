import Foundation
import SwiftTuneCore
import Testing

@Suite("Reward registry and bad input")
struct RewardRegistryTests {
    @Test func everyNameBuilds() throws {
        var options = RewardOptions(maxCompletionLength: 16)
        options.softCacheLength = 4
        for name in RewardRegistry.names { #expect(try RewardRegistry.make(name, options: options).name == name) }
    }

    @Test func unknownNameListsTheKnownOnes() {
        #expect(throws: RewardError.unknownFunction(name: "acuracy", known: RewardRegistry.names)) {
            try RewardRegistry.make(names: ["format", "acuracy"])
        }
        #expect("\(RewardError.unknownFunction(name: "x", known: ["a", "b"]))".contains("--reward-funcs"))
    }

    @Test func missingOptionsAreNamed() {
        #expect(throws: RewardError.invalidOption(name: "cosine_max_len", value: "unset",
                                                  requirement: "≥ 1 (reward 'cosine' needs it; it defaults to max_completion_length)")) {
            try RewardRegistry.make("cosine")
        }
        #expect(throws: RewardError.invalidOption(name: "soft_cache_length", value: "unset",
                                                  requirement: "set, > 0 and < soft_max_length (8)")) {
            try RewardRegistry.make("soft_overlong", options: RewardOptions(maxCompletionLength: 8))
        }
        var o = RewardOptions(maxCompletionLength: 8)
        o.softCacheLength = 8
        #expect(throws: RewardError.invalidOption(name: "soft_cache_length", value: "8",
                                                  requirement: "> 0 and < soft_max_length (8)")) {
            try RewardRegistry.make("soft_overlong", options: o)
        }
        o.repetitionNGrams = 0
        #expect(throws: RewardError.invalidOption(name: "repetition_n_grams", value: "0", requirement: "≥ 1")) {
            try RewardRegistry.make("repetition", options: o)
        }
        #expect(throws: RewardError.invalidOption(name: "repetition_n_grams", value: "-2", requirement: "≥ 1")) {
            try RepetitionReward(ngramSize: -2)
        }
        #expect(throws: RewardError.invalidOption(name: "repetition_max_penalty", value: "nan", requirement: "finite")) {
            try RepetitionReward(maxPenalty: .nan)
        }
        #expect(throws: RewardError.invalidOption(name: "cosine_max_len", value: "0", requirement: "≥ 1")) {
            try CosineReward(maxLength: 0)
        }
        #expect(throws: RewardError.invalidOption(name: "cosine_max_len_value_correct", value: "inf", requirement: "finite")) {
            try CosineReward(maxLength: 4, maxLenValueCorrect: .infinity)
        }
    }

    @Test(arguments: ["accuracy", "cosine", "bleu", "chrf", "exact_match"])
    func missingSolutionColumnIsNamed(name: String) throws {
        let reward = try RewardRegistry.make(name, options: RewardOptions(maxCompletionLength: 8))
        let rows = [RewardInput(completion: "a", completionIDs: [1], columns: ["solution": .string("a")]),
                    RewardInput(completion: "b", completionIDs: [1], columns: ["answer": .string("b")])]
        #expect(throws: RewardError.missingColumn(reward: name, column: "solution", row: 1)) { try reward.scores(for: rows) }
        let wrongType = [RewardInput(completion: "a", completionIDs: [1], columns: ["solution": .number(3)])]
        #expect(throws: RewardError.self) { try reward.scores(for: wrongType) }
        do { _ = try reward.scores(for: rows) } catch { #expect("\(error)".contains("'solution'")) }
    }

    @Test func rowsWithoutTheColumnAreFineForRewardsThatDoNotNeedIt() throws {
        var options = RewardOptions(maxCompletionLength: 8)
        options.softCacheLength = 2
        let rewards = try RewardRegistry.make(names: ["format", "repetition", "soft_overlong", "length"], options: options)
        let rows = try RewardRegistry.score([RewardInput(completion: "<think>a</think><answer>b</answer>", completionIDs: [1, 2, 3, 4, 5, 6, 7])],
                                            with: rewards)
        #expect(rows == [[1, 0, -0.5, 7]])
    }

    struct Short: RewardFunction {
        var name: String { "short" }
        func scores(for inputs: [RewardInput]) throws -> [Double?] { [1] }
    }

    @Test func aRewardReturningTheWrongCountIsCaught() {
        let inputs = [RewardInput(completion: "a", completionIDs: []), RewardInput(completion: "b", completionIDs: [])]
        #expect(throws: RewardError.scoreCount(reward: "short", expected: 2, got: 1)) {
            try RewardRegistry.score(inputs, with: [Short()])
        }
    }

    @Test func columnsFromADatasetLine() throws {
        let line = Data(#"{"messages": [{"role": "user", "content": "2+2?"}], "solution": "4", "level": 3, "tags": ["a", null]}"#.utf8)
        let columns = try RewardInput.columns(fromJSONLine: line)
        #expect(columns == ["solution": .string("4"), "level": .number(3), "tags": .array([.string("a"), .null])])
        #expect(throws: RewardError.self) { try RewardInput.columns(fromJSONLine: Data("[1]".utf8)) }
        #expect(throws: RewardError.self) { try RewardInput.columns(fromJSONLine: Data("{".utf8)) }
    }
}
