import Foundation
import SwiftTuneCore
import Testing
import TestSupport

@Suite("GRPO advantages and loss match ms-swift")
struct GRPOLossFixtureTests {
    @Test func coversEveryLossTypeLevelAndBeta() throws {
        let f = try GRPOFixture.load()
        #expect(f.versions["ms_swift"] != nil && f.versions["torch"] != nil)
        let kinds = Set(f.loss.map { "\($0.loss_type)/\($0.level)/\($0.beta > 0)" })
        #expect(kinds.count == GRPOLossType.allCases.count * GRPOImportanceSamplingLevel.allCases.count * 2)
        #expect(f.loss.contains { ($0.metrics["clip_ratio/low_mean"] ?? 0) > 0 }, "low clipping active somewhere")
        #expect(f.loss.contains { ($0.metrics["clip_ratio/high_mean"] ?? 0) > 0 }, "high clipping active somewhere")
        #expect(f.versions["trl"] != nil)
        let trlKinds = Set(f.loss.filter { $0.trl_loss != nil }.map { "\($0.loss_type)/\($0.level)/\($0.beta > 0)" })
        #expect(trlKinds.count == GRPOLossType.allCases.count * 2 * 2, "every loss type at token and sequence level, β = 0 and > 0, against TRL")
    }

    /// Every loss case: the loss, ∂loss/∂(policy per-token log-probs) at every position, and the metrics; the loss
    /// and gradient also against TRL where TRL has the case.
    @Test func loss() throws {
        let f = try GRPOFixture.load()
        for c in f.loss {
            let gloss = GRPOLoss(lossType: try #require(GRPOLossType(rawValue: c.loss_type)),
                                 importanceSamplingLevel: try #require(GRPOImportanceSamplingLevel(rawValue: c.level)),
                                 epsilon: c.epsilon, epsilonHigh: c.epsilon_high, delta: c.delta, beta: c.beta,
                                 maxCompletionLength: c.max_completion_length,
                                 maskTruncatedCompletions: c.mask_truncated)
            let leaf = f.tensor(f.policy).requiringGradient()
            let out = try withGradients {
                try gloss(policy: leaf, oldPolicy: c.on_policy ? nil : f.tensor(f.old), reference: f.tensor(f.reference),
                          advantages: f.advantages, completionMask: f.mask, truncated: f.truncated,
                          itemsInBatch: c.num_items_in_batch, entropies: f.entropyRows)
            }
            out.loss.backward()
            expectClose([out.loss.item], [c.loss], "\(c.name) loss")
            expectClose(try #require(leaf.grad).scalars, c.grad_policy, "\(c.name) gradient")
            #expect(Set(out.metrics.keys) == Set(c.metrics.keys), "\(c.name) metric names")
            expectMetrics(out.metrics, c.metrics, c.name)
            if let trlLoss = c.trl_loss, let trlGrad = c.trl_grad_policy {
                expectClose([out.loss.item], [trlLoss], "\(c.name) loss vs TRL")
                expectClose(try #require(leaf.grad).scalars, trlGrad, "\(c.name) gradient vs TRL")
            }
        }
    }

    @Test func advantages() throws {
        let f = try GRPOFixture.load()
        #expect(f.advantage_cases.count >= 27)
        for c in f.advantage_cases {
            let a = try GRPOAdvantages(rewardsPerFunction: c.rewards, functionNames: c.names, weights: c.weights,
                                       numGenerations: c.num_generations,
                                       estimator: try #require(GRPOAdvantageEstimator(rawValue: c.estimator)),
                                       scaling: try #require(GRPORewardScaling(rawValue: c.scaling)))
            expectClose(a.advantages, c.advantages, "\(c.name) advantages")
            expectClose(a.rewards, c.weighted, "\(c.name) rewards")
            #expect(Set(a.metrics.keys) == Set(c.metrics.keys), "\(c.name) metric names")
            for (key, expected) in c.metrics {
                let got = try #require(a.metrics[key], "\(c.name) \(key)")
                if let expected {
                    #expect(Swift.abs(got - expected) <= 1e-9 * (1 + Swift.abs(expected)), "\(c.name) \(key) \(got) vs \(expected)")
                } else {
                    #expect(got.isNaN, "\(c.name) \(key) should be NaN, got \(got)")
                }
            }
        }
    }
}
