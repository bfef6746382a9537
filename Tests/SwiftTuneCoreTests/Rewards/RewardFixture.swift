import Foundation
import SwiftTuneCore
import Testing

/// `Fixtures/rewards/rewards.json`, written by `Tools/generate_reward_fixtures.py` from ms-swift's `orm.py`
/// classes, math_verify and sacrebleu.
struct RewardFixture: Decodable {
    struct Case: Decodable {
        let completion, solution: String
        let length: Int
        let differs: String?
        let scores: [String: Double]

        var input: RewardInput {
            RewardInput(completion: completion, completionIDs: [Int](repeating: 0, count: length),
                        prompt: [DatasetMessage(role: "user", content: "q")], columns: ["solution": .string(solution)])
        }
    }
    struct TextCase: Decodable {
        let hypothesis: String
        let references: [String]
        let bleu, chrf, exact_match: Double

        var input: RewardInput {
            RewardInput(completion: hypothesis, completionIDs: [],
                        columns: ["solution": references.count == 1 ? .string(references[0]) : .array(references.map { .string($0) })])
        }
    }
    let versions: [String: String]
    let options: [String: Double]
    let cases: [Case]
    let text_cases: [TextCase]

    static func load() throws -> RewardFixture {
        let url = try #require(Bundle.module.url(forResource: "rewards", withExtension: "json",
                                                 subdirectory: "Fixtures/rewards"))
        return try JSONDecoder().decode(RewardFixture.self, from: Data(contentsOf: url))
    }

    var rewardOptions: RewardOptions {
        var o = RewardOptions()
        o.cosineMaxLen = Int(options["cosine_max_len"]!)
        o.softMaxLength = Int(options["soft_max_length"]!)
        o.softCacheLength = Int(options["soft_cache_length"]!)
        o.repetitionNGrams = Int(options["repetition_n_grams"]!)
        o.repetitionMaxPenalty = options["repetition_max_penalty"]!
        return o
    }
}
