import Foundation
@testable import SwiftTuneCore
import Testing
import TestSupport

/// `withAdaptersDisabled`: the base model's logits with no weight copy, restored afterwards (also after a throw,
/// nested, merged); and the reference policies built on it.
@Suite("Adapters disabled and reference policies")
struct AdaptersDisabledTests {
    struct Failure: Error {}

    /// The PEFT fixture adapter (nonzero B) on llama-gqa, the plain base model, and the fixture batch.
    func models() throws -> (adapted: CausalLanguageModel<Float>, base: CausalLanguageModel<Float>,
                             batch: (ids: [Int], labels: [Int], shape: [Int])) {
        let adapted = try LoRAFixtures.baseModel()
        try adapted.loadLoRAAdapter(from: LoRAFixtures.folder("lora"))
        let base = try LoRAFixtures.baseModel()
        return (adapted, base, try LoRAFixtures.batch(LoRAFixtures.expected("lora")))
    }

    @Test func insideTheLogitsAreTheBaseModelsOutsideTheAdaptedOnes() throws {
        let (adapted, base, batch) = try models()
        let baseLogits = try base(batch.ids, shape: batch.shape).scalars
        let adaptedLogits = try adapted(batch.ids, shape: batch.shape).scalars
        #expect(baseLogits != adaptedLogits)   // the adapter changes the output
        let peft = try LoRAFixtures.expected("lora").tensor("logits", as: Float.self).scalars
        #expect(zip(adaptedLogits, peft).allSatisfy { abs($0 - $1) < 1e-4 })
        let inside = try adapted.withAdaptersDisabled { try adapted(batch.ids, shape: batch.shape).scalars }
        #expect(inside == baseLogits)
        #expect(try adapted(batch.ids, shape: batch.shape).scalars == adaptedLogits)
        #expect(adapted.loraAdapters.allSatisfy { !$0.isDisabled })
    }

    @Test func adaptersComeBackAfterAThrowAndCallsNest() throws {
        let (adapted, base, batch) = try models()
        let baseLogits = try base(batch.ids, shape: batch.shape).scalars
        let adaptedLogits = try adapted(batch.ids, shape: batch.shape).scalars
        #expect(throws: Failure.self) { try adapted.withAdaptersDisabled { throw Failure() } }
        #expect(try adapted(batch.ids, shape: batch.shape).scalars == adaptedLogits)
        let (inner, afterInner) = try adapted.withAdaptersDisabled {
            let inner = try adapted.withAdaptersDisabled { try adapted(batch.ids, shape: batch.shape).scalars }
            return (inner, try adapted(batch.ids, shape: batch.shape).scalars)   // still off after the inner call
        }
        #expect(inner == baseLogits)
        #expect(afterInner == baseLogits)
        #expect(try adapted(batch.ids, shape: batch.shape).scalars == adaptedLogits)
    }

    @Test func mergedAdaptersAreUnmergedForTheBodyAndMergedAgain() throws {
        let (adapted, base, batch) = try models()
        let baseLogits = try base(batch.ids, shape: batch.shape).scalars
        let adaptedLogits = try adapted(batch.ids, shape: batch.shape).scalars
        try adapted.mergeLoRA()
        let inside = try adapted.withAdaptersDisabled { try adapted(batch.ids, shape: batch.shape).scalars }
        #expect(zip(inside, baseLogits).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(adapted.loraAdapters.allSatisfy { $0.isMerged })
        let after = try adapted(batch.ids, shape: batch.shape).scalars
        #expect(zip(after, adaptedLogits).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test func referencePoliciesComputeWithoutGradients() throws {
        let (adapted, base, batch) = try models()
        let expectedBase = try base.tokenLogProbabilities(batch.ids, labels: batch.labels, shape: batch.shape).scalars
        let expectedAdapted = try adapted.tokenLogProbabilities(batch.ids, labels: batch.labels, shape: batch.shape).scalars
        adapted.loraAdapters.forEach { $0.loraA.isTrainable = true; $0.loraB.isTrainable = true }

        let disabled = ReferencePolicy.adaptersDisabled(adapted)
        let r1 = try disabled.tokenLogProbabilities(batch.ids, labels: batch.labels, shape: batch.shape)
        #expect(r1.scalars == expectedBase)
        #expect(!r1.requiresGradient)
        #expect(adapted.loraAdapters.allSatisfy { !$0.isDisabled })

        let modelFolder = try #require(Bundle.module.url(forResource: "llama-gqa", withExtension: nil, subdirectory: "Fixtures/models"))
        let withAdapter = try ReferencePolicy<Float>.frozen(modelFolder: modelFolder, adapterFolder: LoRAFixtures.folder("lora"))
        let r2 = try withAdapter.tokenLogProbabilities(batch.ids, labels: batch.labels, shape: batch.shape)
        #expect(zip(r2.scalars, expectedAdapted).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(!r2.requiresGradient)
        #expect(withAdapter.underlyingModel.parameters.allSatisfy { !$0.isTrainable })
        #expect(withAdapter.underlyingModel.loraAdapters.allSatisfy { !$0.isTraining })

        let second = try ReferencePolicy<Float>.frozen(modelFolder: modelFolder)
        #expect(try second.tokenLogProbabilities(batch.ids, labels: batch.labels, shape: batch.shape).scalars == expectedBase)
        #expect(throws: (any Error).self) {
            try ReferencePolicy<Float>.frozen(modelFolder: modelFolder.appendingPathComponent("missing"))
        }
    }
}
