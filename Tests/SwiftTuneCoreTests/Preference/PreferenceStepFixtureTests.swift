import Foundation
import SwiftTuneCore
import Testing
import TestSupport

/// One training step of each preference method end to end — model log-probabilities, reference with adapters
/// disabled (or a separate model), loss, metrics, backward, plain SGD — against transformers + PEFT with the
/// ms-swift / TRL loss code (Tools/generate_preference_step_fixtures.py).
@Suite("One preference step matches transformers + PEFT + ms-swift / TRL")
struct PreferenceStepFixtureTests {
    static let pairCases = [
        "dpo_sigmoid", "dpo_hinge", "dpo_ipo", "dpo_robust", "dpo_bco_pair", "dpo_sppo_hard", "dpo_nca_pair",
        "dpo_exo_pair", "dpo_aot", "dpo_aot_unpaired", "dpo_apo_zero", "dpo_apo_down", "dpo_discopop", "dpo_sft",
        "dpo_sigmoid_ls0.1", "dpo_rpo0.5", "dpo_mix_sigmoid_bco_sft", "orpo", "cpo", "simpo",
    ]

    /// Relative tolerance of float64 log-probabilities: transformers' `LlamaRotaryEmbedding` forms its angles in
    /// float32 whatever the model's dtype, so its float64 log-probabilities carry ~1e-7 relative error.
    static let float64Logp = 1e-6

    @Test func fixtureCoversEveryCase() throws {
        let d = try PreferenceStepFixture.data()
        #expect(d.versions["trl"] != nil && d.versions["ms_swift"] != nil && d.versions["torch"] != nil)
        #expect(Set(d.cases) == Set(Self.pairCases + ["kto", "full_sigmoid"]))
        var types = Set<String>()
        for name in d.cases where name.hasPrefix("dpo_") { types.formUnion(try PreferenceStepFixture.record(name).strings("loss_type") ?? []) }
        #expect(types == Set(DPOLossType.allCases.map(\.rawValue)), "every DPO loss type")
    }

    /// SwiftTune's padded pair batch is the fixture's (chosen rows, then rejected), and the model's sequence
    /// log-probabilities under the policy and under the adapters-disabled reference match PEFT's in float64.
    /// (transformers computes the RoPE angles in float32 even for a float64 model, hence ``float64Logp``.)
    @Test func batchAndSequenceLogProbabilities() throws {
        let d = try PreferenceStepFixture.data()
        let pb = try PreferenceBatch.padded(PreferenceStepFixture.pairs(d))
        #expect(pb.batch.shape == [d.ids.count, d.ids[0].count])
        #expect(pb.batch.ids == d.ids.flatMap { $0 })
        #expect(pb.batch.labels == d.labels.flatMap { $0 })
        let model = try PreferenceStepFixture.loraModel(Double.self)
        let record = try PreferenceStepFixture.record("dpo_sigmoid")
        let policy = try #require(record.sequences("policy")), reference = try #require(record.sequences("reference"))
        let (values, targets) = pb.gathered(try model.tokenLogProbabilities(pb.batch.ids, labels: pb.batch.labels,
                                                                            shape: pb.batch.shape))
        let (pc, pr) = try SequenceLogProbabilities.pairs(tokenLogProbabilities: values, targets: targets,
                                                           pairCount: d.pair_count)
        let (rc, rr) = try PreferenceObjectiveTestAccess.referenceSums(pb, model: model)
        expectClose(pc.sums.scalars, policy.chosen, "policy chosen", rtol: Self.float64Logp)
        expectClose(pr.sums.scalars, policy.rejected, "policy rejected", rtol: Self.float64Logp)
        expectClose(rc, reference.chosen, "reference chosen", rtol: Self.float64Logp)
        expectClose(rr, reference.rejected, "reference rejected", rtol: Self.float64Logp)
        #expect(zip(pc.sums.scalars, rc).contains { Swift.abs($0 - $1) > 1e-3 }, "the adapter changes the policy")
    }

    static func method(_ r: [String: Any]) throws -> PreferenceMethod {
        let types = r.strings("loss_type") ?? []
        switch r["kind"] as? String {
        case "dpo", "full":
            return .dpo(DPOLoss(lossTypes: try types.map { try #require(DPOLossType(rawValue: $0)) },
                                lossWeights: r.doubles("loss_weights"), beta: r.double("beta") ?? 0.1,
                                labelSmoothing: r.double("label_smoothing") ?? 0, rpoAlpha: r.double("rpo_alpha"),
                                discopopTau: r.double("discopop_tau") ?? 0.05))
        case "orpo":
            return .orpo(ORPOLoss(beta: r.double("beta") ?? 0.1))
        case "cpo":
            return .cpo(CPOLoss(lossType: try #require(CPOLoss.LossType(rawValue: types.first ?? "")),
                                beta: try #require(r.double("beta")), labelSmoothing: r.double("label_smoothing") ?? 0,
                                simpoGamma: r.double("simpo_gamma") ?? 1, cpoAlpha: r.double("cpo_alpha") ?? 1))
        default:
            throw PreferenceObjectiveError.missingReference(method: "unknown kind in fixture")
        }
    }

    static func sgdConfiguration(lr: Double, batchSize: Int) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.optimizer = .sgd
        c.learningRate = lr
        c.weightDecay = 0
        c.sgdMomentum = 0
        c.maxGradNorm = 0
        c.lrScheduler = .constant
        c.batchSize = batchSize
        c.gradientAccumulationSteps = 1
        c.maxSteps = 1
        c.shuffle = false
        c.gradientCheckpointing = false
        return c
    }

    /// PreferenceObjective + Trainer (float32, SGD lr 0.1, the three pairs in one batch, one step) on the LoRA
    /// policy with the adapters-disabled reference: loss, metrics and every adapter matrix's update.
    @Test(arguments: pairCases)
    func loraStep(_ name: String) throws {
        let d = try PreferenceStepFixture.data()
        let r = try PreferenceStepFixture.record(name)
        let model = try PreferenceStepFixture.loraModel(Float.self)
        let method = try Self.method(r)
        let c = Self.sgdConfiguration(lr: d.lr, batchSize: d.pair_count)
        let objective = try PreferenceObjective(model: model, pairs: PreferenceStepFixture.pairs(d), method: method,
                                                reference: .adaptersDisabled(model), configuration: c)
        let trainer = try Trainer(model: model, objective: objective, configuration: c)
        let before = Dictionary(uniqueKeysWithValues: trainer.parameters.map { ($0.path, $0.value.doubles) })
        try trainer.train()
        let step = try #require(trainer.history.first)
        let loss = try #require(r.double("loss"))
        #expect(Swift.abs(step.loss - loss) <= 1e-4 * Swift.max(1, Swift.abs(loss)), "\(name): loss \(step.loss) vs \(loss)")
        expectMetrics(step.metrics, r.table("metrics"), name, rtol: 1e-4)
        expectUpdates(trainer.parameters, before: before, expectedAfter: r.vectors("after"), rtol: 2e-3, atol: 2e-6, name)
    }

    /// Full fine-tuning DPO (sigmoid) with a separate frozen reference model (llama3-rope): loss, metrics, the
    /// update of three tensors in full and the L2 norm of every tensor's update.
    @Test func fullTuningWithSeparateReference() throws {
        let d = try PreferenceStepFixture.data()
        let r = try PreferenceStepFixture.record("full_sigmoid")
        let model = try CausalLanguageModel<Float>.load(from: PreferenceStepFixture.model("llama-gqa"))
        model.parameters.forEach { $0.isTrainable = true }
        var c = Self.sgdConfiguration(lr: d.lr, batchSize: d.pair_count)
        c.tunerType = .full
        let reference = try ReferencePolicy<Float>.frozen(modelFolder: PreferenceStepFixture.model("llama3-rope"))
        let objective = try PreferenceObjective(model: model, pairs: PreferenceStepFixture.pairs(d),
                                                method: try Self.method(r), reference: reference, configuration: c)
        let trainer = try Trainer(model: model, objective: objective, configuration: c)
        let before = Dictionary(uniqueKeysWithValues: trainer.parameters.map { ($0.path, $0.value.doubles) })
        try trainer.train()
        let step = try #require(trainer.history.first)
        let loss = try #require(r.double("loss"))
        #expect(Swift.abs(step.loss - loss) <= 1e-4 * Swift.max(1, Swift.abs(loss)), "full: loss \(step.loss) vs \(loss)")
        expectMetrics(step.metrics, r.table("metrics"), "full", rtol: 1e-4)
        let norms = r.table("delta_norm")
        #expect(Set(norms.keys) == Set(trainer.parameters.map(\.path)), "full: trained parameter names")
        for p in trainer.parameters {
            let delta = zip(p.value.doubles, before[p.path] ?? []).map { $0 - $1 }
            let norm = (delta.reduce(0) { $0 + $1 * $1 }).squareRoot()
            let theirs = norms[p.path] ?? .nan
            #expect(Swift.abs(norm - theirs) <= 2e-3 * theirs + 1e-7, "full \(p.path): |Δ| \(norm) vs \(theirs)")
            if let full = r.vectors("delta")[p.path] {
                #expect(full.contains { $0 != 0 })
                let close = allClose(delta, full, rtol: 2e-3, atol: 2e-6)
                #expect(close.ok, "full \(p.path) update: \(close.report)")
            }
        }
    }

    /// KTOObjective + Trainer (float32, SGD, the five rows in one batch, one step; with one total batch
    /// ms-swift's group rotation is TRL's in-batch shift): loss, metrics and every adapter matrix's update.
    @Test func ktoTrainerStep() throws {
        let d = try PreferenceStepFixture.data()
        let r = try PreferenceStepFixture.record("kto")
        let model = try PreferenceStepFixture.loraModel(Float.self)
        let c = Self.sgdConfiguration(lr: d.lr, batchSize: d.kto.count)
        let objective = try KTOObjective(model: model, examples: PreferenceStepFixture.ktoExamples(d),
                                         loss: KTOLoss(lossType: .kto, beta: try #require(r.double("beta"))),
                                         reference: .adaptersDisabled(model), configuration: c)
        let trainer = try Trainer(model: model, objective: objective, configuration: c)
        let before = Dictionary(uniqueKeysWithValues: trainer.parameters.map { ($0.path, $0.value.doubles) })
        try trainer.train()
        let step = try #require(trainer.history.first)
        let loss = try #require(r.double("loss"))
        #expect(Swift.abs(step.loss - loss) <= 1e-4 * Swift.max(1, Swift.abs(loss)), "kto: loss \(step.loss) vs \(loss)")
        expectMetrics(step.metrics, r.table("metrics"), "kto trainer", rtol: 1e-4)
        expectUpdates(trainer.parameters, before: before, expectedAfter: r.vectors("after"), rtol: 2e-3, atol: 2e-6,
                      "kto trainer")
    }

    /// KTO (TRL's kto_loss, KL completions shifted within the batch), float64: PreferenceBatch.kto's rows,
    /// sequence log-probabilities, loss, metrics and one SGD step on the adapter.
    @Test func ktoStep() throws {
        let d = try PreferenceStepFixture.data()
        let r = try PreferenceStepFixture.record("kto")
        let examples = PreferenceStepFixture.ktoExamples(d)
        let n = examples.count
        let model = try PreferenceStepFixture.loraModel(Double.self)
        let pb = try PreferenceBatch.kto(examples)
        let b = pb.batch
        let targets = CausalLanguageModel<Double>.shiftedTargets(b.labels, shape: b.shape)
        let reference = try SequenceLogProbabilities(
            tokenLogProbabilities: try ReferencePolicy.adaptersDisabled(model).tokenLogProbabilities(b), targets: targets,
            batchSize: 2 * n).sums.detached
        let parameters = model.trainableParameters
        let before = Dictionary(uniqueKeysWithValues: parameters.map { ($0.path, $0.value.doubles) })
        var policy = Tensor<Double>.zeros([0])
        let out = try withGradients {
            let tokens = try model.tokenLogProbabilities(b.ids, labels: b.labels, shape: b.shape, layout: b.layout)
            let sums = try SequenceLogProbabilities(tokenLogProbabilities: tokens, targets: targets, batchSize: 2 * n).sums
            policy = sums.detached
            let loss = KTOLoss(lossType: .kto, beta: try #require(r.double("beta")))
            return try loss(policy: sums.slice(axis: 0, 0..<n), reference: reference.slice(axis: 0, 0..<n),
                            desirable: examples.map(\.desirable), policyKL: sums.slice(axis: 0, n..<2 * n).detached,
                            referenceKL: reference.slice(axis: 0, n..<2 * n))
        }
        expectClose([out.loss.item], [try #require(r.double("loss"))], "kto loss", rtol: Self.float64Logp)
        expectMetrics(out.metrics, r.table("metrics"), "kto", rtol: Self.float64Logp)
        expectClose(reference.slice(axis: 0, 0..<n).scalars, try #require(r.doubles("reference")), "kto reference", rtol: Self.float64Logp)
        expectClose(reference.slice(axis: 0, n..<2 * n).scalars, try #require(r.doubles("reference_kl")),
                    "kto reference KL", rtol: Self.float64Logp)
        expectClose(policy.slice(axis: 0, 0..<n).scalars, try #require(r.doubles("policy")), "kto policy", rtol: Self.float64Logp)
        expectClose(policy.slice(axis: 0, n..<2 * n).scalars, try #require(r.doubles("policy_kl")), "kto policy KL",
                    rtol: Self.float64Logp)
        out.loss.backward()
        SGD<Double>(learningRate: d.lr).step(parameters)
        expectUpdates(parameters, before: before, expectedAfter: r.vectors("after"), rtol: 1e-4, atol: 1e-9, "kto")
    }
}

/// The reference pass the objective runs, for a Double model (the objective itself is float32).
enum PreferenceObjectiveTestAccess {
    static func referenceSums(_ pb: PreferenceBatch, model: CausalLanguageModel<Double>) throws -> ([Double], [Double]) {
        let (values, targets) = pb.gathered(try ReferencePolicy.adaptersDisabled(model).tokenLogProbabilities(pb.batch))
        let (c, r) = try SequenceLogProbabilities.pairs(tokenLogProbabilities: values, targets: targets,
                                                         pairCount: pb.count)
        return (c.sums.scalars, r.sums.scalars)
    }
}
