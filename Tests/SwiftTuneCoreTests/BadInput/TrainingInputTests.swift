import Foundation
import SwiftTuneCore
import Testing

/// A bad label reaching a training step is a ``ModelInputError`` before any micro-batch runs backward: no gradient
/// accumulates and no weight changes.
@Suite struct TrainingInputTests {
    @Test func badLabelStopsTheStepBeforeAnyGradient() throws {
        let model = CausalLanguageModel<Float>(configuration: BadInput.configuration(), seed: 5)
        let good = Sample(ids: [1, 2, 3, 4], labels: [1, 2, 3, 4])
        let bad = Sample(ids: [5, 6, 7, 8], labels: [5, 6, 40, 8])
        var configuration = TrainingConfiguration()
        configuration.batchSize = 1
        configuration.gradientAccumulationSteps = 2   // both samples in one step, in either order
        configuration.maxSteps = 1
        let trainer = try Trainer(model: model, samples: [good, bad], configuration: configuration)
        let before = model.parameters.map(\.value.scalars)
        var tokens = 0
        #expect(throws: ModelInputError.labelOutOfRange(label: 40, index: 2, vocabularySize: 32)) {
            try trainer.trainStep(tokensSoFar: &tokens)
        }
        #expect(model.parameters.allSatisfy { $0.grad == nil }, "no micro-batch ran backward")
        #expect(model.parameters.map(\.value.scalars) == before && trainer.step == 0)
    }
}
