import SwiftTuneCore
import Testing
import TestSupport

@Suite("Preference loss inputs and hyperparameters")
struct PreferenceLossInputTests {
    static func sequences(_ sums: [Double], counts: [Int]) throws -> SequenceLogProbabilities<Double> {
        try SequenceLogProbabilities(sums: Tensor(sums), tokenCounts: counts)
    }

    /// LD-DPO: each pair's first min(|chosen|, |rejected|) scored tokens weigh 1, later ones α; plain sums and
    /// counts ignore the weighting.
    @Test func lengthDesensitizedPairs() throws {
        // 2 pairs, T = 4. Chosen rows 0, 1; rejected rows 2, 3. Scored counts 3, 1, 2, 4.
        let targets = [1, 1, -100, 1, /**/ -100, 1, -100, -100, /**/ 1, 1, -100, -100, /**/ 1, 1, 1, 1]
        let logp = Tensor<Double>((0..<16).map { targets[$0] == -100 ? 0 : -Double($0 + 1) })
        let (c, r) = try SequenceLogProbabilities.pairs(tokenLogProbabilities: logp, targets: targets, pairCount: 2,
                                                         lengthDesensitization: 0.5)
        #expect(c.tokenCounts == [3, 1] && r.tokenCounts == [2, 4])
        #expect(c.plainSums.scalars == [-1 - 2 - 4, -6])
        // pair 0 shares 2 tokens: chosen −1 −2 + 0.5·(−4); rejected −9 −10. Pair 1 shares 1: −6; −13 + 0.5·(−14 −15 −16).
        #expect(c.sums.scalars == [-5, -6])
        #expect(r.sums.scalars == [-19, -13 - 22.5])
        #expect(allClose(try c.means(field: "c").scalars, [-5.0 / 3, -6], rtol: 1e-15, atol: 0).ok)
        #expect(try c.negativeLogLikelihood(field: "c").item == 13.0 / 4)
    }

    @Test func badShapesAndCountsThrow() throws {
        #expect(throws: PreferenceLossError.shapeMismatch(field: "sums", expected: "[3]", got: "[2]")) {
            try Self.sequences([1, 2], counts: [1, 1, 1])
        }
        #expect(throws: PreferenceLossError.self) {
            try SequenceLogProbabilities(tokenLogProbabilities: Tensor<Double>.zeros([5]), targets: [1, 1, 1, 1, 1, 1],
                                         batchSize: 2)
        }
        #expect(throws: PreferenceLossError.emptyBatch(field: "pairs")) {
            try SequenceLogProbabilities.pairs(tokenLogProbabilities: Tensor<Double>.zeros([0]), targets: [], pairCount: 0)
        }
        let empty = try Self.sequences([0, -1], counts: [0, 2])
        #expect(throws: PreferenceLossError.emptyCompletion(field: "x", index: 0)) { try empty.means(field: "x") }
        let none = try Self.sequences([0], counts: [0])
        #expect(throws: PreferenceLossError.emptyCompletion(field: "x", index: 0)) { try none.negativeLogLikelihood(field: "x") }
    }

    @Test func dpoValidatesHyperparametersAndPairs() throws {
        let s = try Self.sequences([-3, -4], counts: [2, 2]), t = try Self.sequences([-5], counts: [1])
        func call(_ l: DPOLoss, _ a: SequenceLogProbabilities<Double>? = nil) throws {
            var l = l
            _ = try l(policyChosen: s, policyRejected: a ?? s, referenceChosen: s, referenceRejected: s)
        }
        #expect(throws: PreferenceLossError.lossWeightsCount(lossTypes: 2, weights: 1)) {
            try call(DPOLoss(lossTypes: [.sigmoid, .hinge], lossWeights: [1]))
        }
        #expect(throws: PreferenceLossError.invalidHyperparameter(name: "beta", value: 0, requirement: "finite and > 0")) {
            try call(DPOLoss(beta: 0))
        }
        #expect(throws: PreferenceLossError.self) { try call(DPOLoss(lossTypes: [.robust], labelSmoothing: 0.5)) }
        #expect(throws: PreferenceLossError.self) { try call(DPOLoss(discopopTau: 0)) }
        #expect(throws: PreferenceLossError.emptyBatch(field: "loss_type")) { try call(DPOLoss(lossTypes: [])) }
        #expect(throws: PreferenceLossError.shapeMismatch(field: "policyRejected", expected: "2 sequences", got: "1")) {
            try call(DPOLoss(), t)
        }
        let noTokens = try Self.sequences([0, 0], counts: [0, 0])
        #expect(throws: PreferenceLossError.emptyCompletion(field: "policyChosen", index: 0)) {
            var l = DPOLoss(lossTypes: [.ipo])
            _ = try l(policyChosen: noTokens, policyRejected: s, referenceChosen: s, referenceRejected: s)
        }
        #expect(throws: PreferenceLossError.emptyCompletion(field: "policyChosen", index: 0)) {
            var l = DPOLoss(rpoAlpha: 1)
            _ = try l(policyChosen: noTokens, policyRejected: s, referenceChosen: s, referenceRejected: s)
        }
    }

    @Test func ktoOrpoCpoValidate() throws {
        let s = try Self.sequences([-3, -4], counts: [2, 2]), t = try Self.sequences([-5], counts: [1])
        #expect(throws: PreferenceLossError.invalidHyperparameter(name: "desirable_weight", value: -1,
                                                                 requirement: "finite and > 0")) {
            try KTOLoss(desirableWeight: -1)(policy: Tensor([-1.0]), reference: Tensor([-1.0]), desirable: [true],
                                             policyKL: Tensor([-1.0]), referenceKL: Tensor([-1.0]))
        }
        #expect(throws: PreferenceLossError.emptyBatch(field: "policyKL")) {
            try KTOLoss()(policy: Tensor([-1.0]), reference: Tensor([-1.0]), desirable: [true])
        }
        #expect(throws: PreferenceLossError.shapeMismatch(field: "reference", expected: "[1]", got: "[2]")) {
            try KTOLoss(lossType: .apoZeroUnpaired)(policy: Tensor([-1.0]), reference: Tensor([-1.0, -2]), desirable: [true])
        }
        #expect(throws: PreferenceLossError.self) { try ORPOLoss()(chosen: s, rejected: t) }
        #expect(throws: PreferenceLossError.self) { try ORPOLoss(beta: .nan)(chosen: s, rejected: s) }
        #expect(throws: PreferenceLossError.self) { try CPOLoss(lossType: .simpo, cpoAlpha: .infinity)(chosen: s, rejected: s) }
        #expect(throws: PreferenceLossError.self) { try CPOLoss()(chosen: s, rejected: t) }
        #expect(CPOLoss(lossType: .simpo).beta == 2 && CPOLoss().beta == 0.1, "ms-swift's defaults")
    }

    /// TRL's RunningMoments: the first update from the initial state gives the batch mean; a second merges.
    @Test func runningMoments() {
        var m = RunningMoments()
        m.update([2])
        #expect(Swift.abs(m.mean - 2) <= 1e-12)
        m.update([4])
        #expect(Swift.abs(m.mean - 3) <= 1e-12)
        #expect(Swift.abs(m.variance - 1) <= 1e-12)
    }
}
