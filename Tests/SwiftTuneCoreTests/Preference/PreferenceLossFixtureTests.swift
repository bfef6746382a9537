import Foundation
import SwiftTuneCore
import Testing
import TestSupport

@Suite("Preference losses match ms-swift / TRL")
struct PreferenceLossFixtureTests {
    @Test func recordsTheReferenceVersions() throws {
        let f = try PreferenceFixture.load()
        #expect(f.versions["trl"] != nil && f.versions["ms_swift"] != nil && f.versions["torch"] != nil)
        #expect(f.dpo.count >= DPOLossType.allCases.count)
        #expect(Set(f.dpo.flatMap(\.loss_type)) == Set(DPOLossType.allCases.map(\.rawValue)), "every DPO loss type")
    }

    /// Every DPO case: the mean loss, ∂loss/∂(policy per-token log-probs), metrics, the label smoothing after
    /// the call (exo_pair's assignment) and bco_pair's running mean.
    @Test func dpo() throws {
        let f = try PreferenceFixture.load()
        let reference = Tensor<Double>(f.reference)
        let (rc, rr) = try SequenceLogProbabilities.pairs(tokenLogProbabilities: reference, targets: f.targets,
                                                           pairCount: f.pairs)
        for c in f.dpo {
            var loss = DPOLoss(lossTypes: try c.loss_type.map { try #require(DPOLossType(rawValue: $0)) },
                               lossWeights: c.loss_weights, beta: c.beta ?? 0.1,
                               labelSmoothing: c.label_smoothing ?? 0, rpoAlpha: c.rpo_alpha,
                               discopopTau: c.discopop_tau ?? 0.05)
            var output: PreferenceLossOutput<Double>?
            var leaf = Tensor<Double>.zeros([0])
            for _ in 0..<(c.repeat ?? 1) {
                let (l, pc, pr) = try f.policyPairs(ldAlpha: c.ld_alpha)
                leaf = l
                output = try withGradients {
                    try loss(policyChosen: pc, policyRejected: pr, referenceChosen: rc, referenceRejected: rr)
                }
            }
            let out = try #require(output)
            let tolerance = c.loss_type.contains("bco_pair") ? 1e-6 : 1e-9   // TRL's float32 running moments
            out.loss.backward()
            expectClose([out.loss.item], [c.loss], "\(c.name) loss")
            expectClose(f.scored(leaf.grad!.scalars), f.scored(c.grad_policy), "\(c.name) gradient", rtol: tolerance)
            expectMetrics(out.metrics, c.metrics, c.name, rtol: tolerance)
            #expect(loss.labelSmoothing == c.label_smoothing_after, "\(c.name) label smoothing after")
            #expect(Swift.abs(loss.running.mean - c.running_mean) <= 1e-7, "\(c.name) running mean")
            #expect(out.losses.shape == [f.pairs])
        }
    }

    @Test func kto() throws {
        let f = try PreferenceFixture.load()
        for c in f.kto {
            let loss = KTOLoss(lossType: try #require(KTOLoss.LossType(rawValue: c.loss_type)), beta: c.beta ?? 0.1,
                               desirableWeight: c.desirable_weight ?? 1, undesirableWeight: c.undesirable_weight ?? 1)
            let leaf = Tensor<Double>(c.policy).requiringGradient()
            let out = try withGradients {
                try loss(policy: leaf, reference: Tensor(c.reference), desirable: c.desirable,
                         policyKL: Tensor(c.policy_kl), referenceKL: Tensor(c.reference_kl))
            }
            out.loss.backward()
            expectClose([out.loss.item], [c.loss], "\(c.name) loss")
            expectClose(out.losses.scalars, c.losses, "\(c.name) losses")
            expectClose(out.chosenRewards, c.chosen_rewards, "\(c.name) chosen rewards")
            expectClose(out.rejectedRewards, c.rejected_rewards, "\(c.name) rejected rewards")
            expectClose(leaf.grad!.scalars, c.grad_policy, "\(c.name) gradient")
            expectMetrics(out.metrics, c.metrics, c.name)
            #expect(Set(out.metrics.keys) == Set(c.metrics.keys), "\(c.name) metric names")
        }
    }

    @Test func orpo() throws {
        let f = try PreferenceFixture.load()
        for c in f.orpo {
            let (leaf, pc, pr) = try f.policyPairs()
            let out = try withGradients { try ORPOLoss(beta: c.beta ?? 0.1)(chosen: pc, rejected: pr) }
            out.loss.backward()
            let float32 = 1e-6   // TRL's odds_ratio_loss casts the log-probs to float32
            expectClose([out.loss.item], [c.loss], "\(c.name) loss", rtol: float32)
            expectClose(out.losses.scalars, c.losses, "\(c.name) losses", rtol: float32)
            expectClose(f.scored(leaf.grad!.scalars), f.scored(c.grad_policy), "\(c.name) gradient", rtol: float32)
            expectMetrics(out.metrics, c.metrics, c.name, rtol: float32)
        }
    }

    @Test func cpo() throws {
        let f = try PreferenceFixture.load()
        for c in f.cpo {
            let type = try #require(CPOLoss.LossType(rawValue: c.loss_type ?? ""))
            let loss = CPOLoss(lossType: type, beta: c.beta, labelSmoothing: c.label_smoothing ?? 0,
                               simpoGamma: c.simpo_gamma ?? 1, cpoAlpha: c.cpo_alpha ?? 1)
            let (leaf, pc, pr) = try f.policyPairs()
            let out = try withGradients { try loss(chosen: pc, rejected: pr) }
            out.loss.backward()
            expectClose([out.loss.item], [c.loss], "\(c.name) loss")
            expectClose(out.losses.scalars, c.losses, "\(c.name) losses")
            expectClose(f.scored(leaf.grad!.scalars), f.scored(c.grad_policy), "\(c.name) gradient")
            expectMetrics(out.metrics, c.metrics, c.name)
        }
    }
}
