import Foundation
import SwiftTuneCore
import Testing
import TestSupport

/// SwiftTune's trainer against PyTorch + PEFT on the same weights and batch (Tools/generate_training_fixtures.py).
@Suite("Training steps match PyTorch and PEFT")
struct TrainerParityTests {
    struct Losses: Decodable { let ids: [[Int]]; let labels: [[Int]]; let losses: [Double] }

    func fixture(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/training"))
    }

    @Test(arguments: ["full-adamw", "full-sgd", "lora-adamw", "dora-adamw", "doraplus-adamw"])
    func stepsMatch(_ name: String) throws {
        let folder = try fixture(name)
        let modelURL = try #require(Bundle.module.url(forResource: "llama-gqa", withExtension: nil, subdirectory: "Fixtures/models"))
        let model = try CausalLanguageModel<Float>.load(from: modelURL)
        if name.hasPrefix("full") {
            model.parameters.forEach { $0.isTrainable = true }
        } else {
            try model.loadLoRAAdapter(from: folder.appendingPathComponent("initial"), trainable: true)
        }
        let data = try JSONDecoder().decode(Losses.self, from: Data(contentsOf: folder.appendingPathComponent("losses.json")))
        var c = TrainingConfiguration()
        c.optimizer = name.hasSuffix("sgd") ? .sgd : .adamw
        c.learningRate = name.hasSuffix("sgd") ? 0.1 : 1e-2
        c.weightDecay = name.hasSuffix("sgd") ? 0.01 : 0.1
        c.sgdMomentum = 0.9
        c.adamBeta1 = 0.9
        c.adamBeta2 = 0.95
        c.adamEpsilon = 1e-8
        c.maxGradNorm = 0
        c.lrScheduler = .constant
        c.batchSize = 2
        c.gradientAccumulationSteps = 1
        c.maxSteps = data.losses.count
        c.shuffle = false
        if name.hasPrefix("doraplus") { c.loraPlusRatio = 4 }
        c.gradientCheckpointing = false
        let samples = zip(data.ids, data.labels).map { Sample(ids: $0, labels: $1) }
        let trainer = try Trainer(model: model, samples: samples, configuration: c)
        try trainer.train()
        for (step, (ours, theirs)) in zip(trainer.history.map(\.loss), data.losses).enumerated() {
            #expect(Swift.abs(ours - theirs) < 1e-4 * Swift.max(1, Swift.abs(theirs)), "\(name) step \(step): loss \(ours) vs torch \(theirs)")
        }
        let expected = try SafetensorsFile(contentsOf: folder.appendingPathComponent("expected.safetensors"))
        #expect(Set(expected.tensorNames) == Set(trainer.parameters.map(\.path)), "\(name): trained parameter names")
        for p in trainer.parameters where expected.contains(p.path) {
            let r = allClose(p.value.doubles, try expected.tensor(p.path, as: Double.self).scalars, rtol: 1e-3, atol: 2e-5)
            #expect(r.ok, "\(name) \(p.path): \(r.report)")
        }
    }
}
