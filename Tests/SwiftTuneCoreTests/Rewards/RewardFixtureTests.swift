import Foundation
import SwiftTuneCore
import Testing

@Suite("Built-in rewards match ms-swift and sacrebleu")
struct RewardFixtureTests {
    /// accuracy, format, cosine, repetition and soft_overlong over every case, one batch per reward.
    @Test(arguments: ["accuracy", "format", "cosine", "repetition", "soft_overlong"])
    func msSwiftRewards(name: String) throws {
        let f = try RewardFixture.load()
        #expect(f.cases.count >= 200)
        let reward = try RewardRegistry.make(name, options: f.rewardOptions)
        #expect(reward.name == name)
        let scores = try reward.scores(for: f.cases.map(\.input))
        for (c, got) in zip(f.cases, scores) {
            let want = try #require(c.scores[name])
            #expect(got.map { Swift.abs($0 - want) <= 1e-12 * (1 + Swift.abs(want)) } == true,
                    "\(name) of \(c.completion.debugDescription) vs \(c.solution.debugDescription): \(String(describing: got)), want \(want)")
        }
    }

    /// Where SwiftTune's accuracy is not math_verify's, the fixture says why; everywhere else they agree.
    @Test func accuracyEqualsMathVerifyOutsideTheDocumentedDifferences() throws {
        let f = try RewardFixture.load()
        let differing = f.cases.filter { $0.scores["accuracy"] != $0.scores["ms_swift_accuracy"] }
        #expect(differing.allSatisfy { $0.differs != nil })
        #expect(f.cases.filter { $0.differs == nil && $0.scores["accuracy"] == 1 }.count >= 20)
    }

    @Test(arguments: ["bleu", "chrf", "exact_match"])
    func textMetrics(name: String) throws {
        let f = try RewardFixture.load()
        let reward = try RewardRegistry.make(name)
        let scores = try reward.scores(for: f.text_cases.map(\.input))
        for (c, got) in zip(f.text_cases, scores) {
            let want = name == "bleu" ? c.bleu : name == "chrf" ? c.chrf : c.exact_match
            #expect(got.map { Swift.abs($0 - want) <= 1e-9 * (1 + Swift.abs(want)) } == true,
                    "\(name) of \(c.hypothesis.debugDescription) vs \(c.references): \(String(describing: got)), want \(want)")
        }
    }

    @Test func sacreBLEUEntryPoints() throws {
        let f = try RewardFixture.load()
        for c in f.text_cases.prefix(50) {
            #expect(Swift.abs(SacreBLEU.sentenceBLEU(c.hypothesis, references: c.references) - c.bleu) <= 1e-9 * (1 + c.bleu))
            #expect(Swift.abs(SacreBLEU.sentenceCHRF(c.hypothesis, references: c.references) - c.chrf) <= 1e-9 * (1 + c.chrf))
        }
    }

    @Test func lengthIsTheTokenCount() throws {
        let scores = try RewardRegistry.make("length").scores(for: [
            RewardInput(completion: "abc", completionIDs: [1, 2, 3, 4]), RewardInput(completion: "", completionIDs: []),
        ])
        #expect(scores == [4, 0])
    }
}
