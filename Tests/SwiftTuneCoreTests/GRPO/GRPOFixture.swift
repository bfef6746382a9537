import Foundation
import SwiftTuneCore
import Testing

/// `Fixtures/grpo/grpo_loss.json`, written by `Tools/generate_grpo_fixtures.py` from ms-swift's
/// `compute_advantages`, `compute_reward_metrics` and `GRPOTrainer._compute_loss_and_metrics`, and TRL's
/// `GRPOTrainer._compute_loss` where TRL has the case.
struct GRPOFixture: Decodable {
    struct LossCase: Decodable {
        let name, loss_type, level: String
        let beta, epsilon: Double
        let epsilon_high, delta, num_items_in_batch: Double?
        let max_completion_length: Int
        let mask_truncated, on_policy: Bool
        let loss: Double
        let grad_policy: [Double]
        let metrics: [String: Double]
        /// TRL's `_compute_loss` on the same inputs, where TRL can express the case.
        let trl_loss: Double?
        let trl_grad_policy: [Double]?
    }
    struct AdvantageCase: Decodable {
        let name, estimator, scaling: String
        let rewards: [[Double?]]
        let weights: [Double]
        let names: [String]
        let num_generations: Int
        let advantages, weighted: [Double]
        let metrics: [String: Double?]
    }
    let versions: [String: String]
    let batch, length, num_generations: Int
    let lengths: [Int]
    let truncated: [Bool]
    let policy, old, reference, entropies, advantages: [Double]
    let loss: [LossCase]
    let advantage_cases: [AdvantageCase]

    static func load() throws -> GRPOFixture {
        let url = try #require(Bundle.module.url(forResource: "grpo_loss", withExtension: "json",
                                                 subdirectory: "Fixtures/grpo"))
        return try JSONDecoder().decode(GRPOFixture.self, from: Data(contentsOf: url))
    }

    var mask: [[Bool]] { lengths.map { n in (0..<length).map { $0 < n } } }
    func tensor(_ values: [Double]) -> Tensor<Double> { Tensor(shape: [batch, length], scalars: values) }
    var entropyRows: [[Double]] { (0..<batch).map { Array(entropies[($0 * length)..<($0 * length + length)]) } }
}
