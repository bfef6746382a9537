import Foundation
import SwiftTuneCore
import Testing

@Suite("GRPO bad input is a typed error")
struct GRPOLossInputTests {
    let policy = Tensor<Double>(shape: [2, 3], scalars: [-1, -2, -0.5, -0.1, -3, -1])
    let mask = [[true, true, false], [true, true, true]]

    @Test func hyperparameters() throws {
        func field(_ loss: GRPOLoss) -> String? {
            do { try loss.validate(); return nil } catch let GRPOError.invalidHyperparameter(name, _, _) { return name } catch { return "\(error)" }
        }
        #expect(field(GRPOLoss(epsilon: -0.1)) == "epsilon")
        #expect(field(GRPOLoss(epsilon: .nan)) == "epsilon")
        #expect(field(GRPOLoss(epsilonHigh: .infinity)) == "epsilon_high")
        #expect(field(GRPOLoss(delta: 0)) == "delta")
        #expect(field(GRPOLoss(beta: -1)) == "beta")
        #expect(field(GRPOLoss(lossType: .drGRPO)) == "max_completion_length")
        #expect(field(GRPOLoss(lossType: .drGRPO, maxCompletionLength: 4)) == nil)
    }

    @Test func shapes() throws {
        let loss = GRPOLoss(beta: 0)
        #expect(throws: GRPOError.shapeMismatch(field: "advantages", expected: "2 values", got: "1")) {
            try loss(policy: policy, advantages: [1], completionMask: mask)
        }
        #expect(throws: GRPOError.shapeMismatch(field: "completionMask[1]", expected: "3 positions", got: "2")) {
            try loss(policy: policy, advantages: [1, -1], completionMask: [[true, true, true], [true, true]])
        }
        #expect(throws: GRPOError.shapeMismatch(field: "oldPolicy", expected: "[2, 3]", got: "[3, 2]")) {
            try loss(policy: policy, oldPolicy: Tensor(shape: [3, 2], scalars: [0, 0, 0, 0, 0, 0]), advantages: [1, -1],
                     completionMask: mask)
        }
        #expect(throws: GRPOError.nonFinite(field: "advantages", index: 1, value: .infinity)) {
            try loss(policy: policy, advantages: [1, .infinity], completionMask: mask)
        }
        #expect(throws: GRPOError.shapeMismatch(field: "truncated", expected: "2 flags", got: "3")) {
            try loss(policy: policy, advantages: [1, -1], completionMask: mask, truncated: [true, false, false])
        }
        #expect(throws: GRPOError.nonFinite(field: "oldPolicy", index: 4, value: -.infinity)) {
            try loss(policy: policy, oldPolicy: Tensor(shape: [2, 3], scalars: [-1, -1, -1, -1, -.infinity, -1]),
                     advantages: [1, -1], completionMask: mask)
        }
        #expect(throws: GRPOError.self) {
            try GRPOLoss(beta: 0.1)(policy: policy, reference: Tensor(shape: [2, 3], scalars: [-1, .nan, -1, -1, -1, -1]),
                                    advantages: [1, -1], completionMask: mask)
        }
        let withKL = GRPOLoss(beta: 0.04)
        #expect(throws: GRPOError.self) { try withKL(policy: policy, advantages: [1, -1], completionMask: mask) }
        #expect(throws: GRPOError.shapeMismatch(field: "policy", expected: "[B, T] per-token log-probabilities",
                                                got: "[6]")) {
            try loss(policy: Tensor<Double>([1, 2, 3, 4, 5, 6]), advantages: [1], completionMask: [[true]])
        }
    }

    @Test func advantageInput() throws {
        #expect(throws: GRPOError.notDivisible(completions: 5, numGenerations: 2)) {
            try GRPOAdvantages(rewardsPerFunction: [[1], [0], [1], [0], [1]], functionNames: ["a"], numGenerations: 2)
        }
        #expect(throws: GRPOError.shapeMismatch(field: "rewards[1]", expected: "1 scores", got: "2")) {
            try GRPOAdvantages(rewardsPerFunction: [[1], [0, 1]], functionNames: ["a"], numGenerations: 2)
        }
        #expect(throws: GRPOError.shapeMismatch(field: "reward_weights", expected: "1 weights (one per reward function)",
                                                got: "2")) {
            try GRPOAdvantages(rewardsPerFunction: [[1], [0]], functionNames: ["a"], weights: [1, 2], numGenerations: 2)
        }
        #expect(throws: GRPOError.nonFinite(field: "rewards[0]", index: 0, value: .infinity)) {
            try GRPOAdvantages(rewardsPerFunction: [[.infinity], [0]], functionNames: ["a"], numGenerations: 2)
        }
        #expect(throws: GRPOError.emptyBatch(field: "rewards")) {
            try GRPOAdvantages(rewardsPerFunction: [], functionNames: ["a"], numGenerations: 2)
        }
        #expect("\(GRPOError.notDivisible(completions: 5, numGenerations: 2))".contains("num_generations = 2"))
    }

    /// On-policy (ℓ_old = sg(ℓ)) with equal-length completions the clipped objective's value is −mean(A) = 0
    /// for centred advantages, while its gradient is −A / (B · T) per scored token.
    @Test func onPolicyLossIsZeroButItsGradientIsNot() throws {
        let leaf = Tensor<Double>(shape: [2, 2], scalars: [-1, -2, -0.5, -0.1]).requiringGradient()
        let out = try withGradients {
            try GRPOLoss(beta: 0)(policy: leaf, advantages: [0.7, -0.7], completionMask: [[true, true], [true, true]])
        }
        out.loss.backward()
        #expect(Swift.abs(out.loss.item) < 1e-15)
        let g = try #require(leaf.grad).scalars
        for (got, want) in zip(g, [-0.175, -0.175, 0.175, 0.175]) { #expect(Swift.abs(got - want) < 1e-12) }
    }
}
