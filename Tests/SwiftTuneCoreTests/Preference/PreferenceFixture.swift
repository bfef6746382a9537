import Foundation
import SwiftTuneCore
import Testing
import TestSupport

/// `Fixtures/preference/preference_losses.json`, written by `Tools/generate_preference_fixtures.py` from the
/// ms-swift and TRL reference code.
struct PreferenceFixture: Decodable {
    struct DPOCase: Decodable {
        let name: String
        let loss_type: [String]
        let loss_weights: [Double]?
        let beta: Double?
        let label_smoothing: Double?
        let rpo_alpha: Double?
        let ld_alpha: Double?
        let discopop_tau: Double?
        let `repeat`: Int?
        let loss: Double
        let grad_policy: [Double]
        let metrics: [String: Double]
        let label_smoothing_after: Double
        let running_mean: Double
    }
    struct KTOCase: Decodable {
        let name: String
        let loss_type: String
        let beta: Double?
        let desirable_weight: Double?
        let undesirable_weight: Double?
        let desirable: [Bool]
        let policy, reference, policy_kl, reference_kl: [Double]
        let loss: Double
        let losses, chosen_rewards, rejected_rewards, grad_policy: [Double]
        let metrics: [String: Double]
    }
    struct PairCase: Decodable {
        let name: String
        let loss_type: String?
        let beta: Double?
        let label_smoothing: Double?
        let simpo_gamma: Double?
        let cpo_alpha: Double?
        let loss: Double
        let losses, grad_policy: [Double]
        let metrics: [String: Double]
    }
    let versions: [String: String]
    let pairs, length: Int
    let targets: [Int]
    let policy, reference: [Double]
    let dpo: [DPOCase]
    let kto: [KTOCase]
    let orpo, cpo: [PairCase]

    static func load() throws -> PreferenceFixture {
        let url = try #require(Bundle.module.url(forResource: "preference_losses", withExtension: "json",
                                                 subdirectory: "Fixtures/preference"))
        return try JSONDecoder().decode(PreferenceFixture.self, from: Data(contentsOf: url))
    }

    /// The gradient at the scored positions only. At a position that is not scored the per-token log-prob is a
    /// constant 0 (``tokenLogProbabilities(hidden:weight:targets:chunkRows:)`` sends it no gradient), and the
    /// references differ there only by how they mask (`sum(-1)` over all positions vs boolean indexing).
    func scored(_ gradient: [Double]) -> [Double] {
        zip(gradient, targets).filter { $0.1 != ignoreIndex }.map(\.0)
    }

    /// The policy's per-token log-probs as a leaf, and its chosen / rejected sequences.
    func policyPairs(ldAlpha: Double? = nil) throws
        -> (leaf: Tensor<Double>, chosen: SequenceLogProbabilities<Double>, rejected: SequenceLogProbabilities<Double>) {
        let leaf = Tensor<Double>(policy).requiringGradient()
        let (c, r) = try withGradients {
            try SequenceLogProbabilities.pairs(tokenLogProbabilities: leaf, targets: targets, pairCount: pairs,
                                               lengthDesensitization: ldAlpha)
        }
        return (leaf, c, r)
    }
}

/// Fails with a description when `observed` and `expected` differ beyond round-off of the references: float64
/// (`rtol` 1e-9) except where the reference computes in float32 (TRL's ORPO casts to `.float()`, TRL's
/// RunningMoments keeps float32 moments for bco_pair).
func expectClose(_ observed: [Double], _ expected: [Double], _ what: String, rtol: Double = 1e-9,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    let check = allClose(observed, expected, rtol: rtol, atol: rtol * 1e-2)
    #expect(check.ok, "\(what): \(check.report)", sourceLocation: sourceLocation)
}

/// Compares every expected metric.
func expectMetrics(_ observed: [String: Double], _ expected: [String: Double], _ what: String, rtol: Double = 1e-9,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    for (key, value) in expected {
        guard let got = observed[key] else {
            Issue.record("\(what): metric \(key) missing", sourceLocation: sourceLocation)
            continue
        }
        #expect(Swift.abs(got - value) <= rtol * (1 + Swift.abs(value)), "\(what): \(key) \(got) vs \(value)",
                sourceLocation: sourceLocation)
    }
}
