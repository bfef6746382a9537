import Foundation
import SwiftTuneCore
import Testing

/// A bad label never reaches a training step: ``Trainer/init(model:samples:validationSamples:configuration:)``
/// refuses it, before any micro-batch runs backward, so no gradient accumulates and no weight changes.
@Suite struct TrainingInputTests {
    @Test func badLabelIsRefusedBeforeAnyGradient() throws {
        let model = CausalLanguageModel<Float>(configuration: BadInput.configuration(), seed: 5)
        let good = Sample(ids: [1, 2, 3, 4], labels: [1, 2, 3, 4])
        let bad = Sample(ids: [5, 6, 7, 8], labels: [5, 6, 40, 8])
        var configuration = TrainingConfiguration()
        configuration.batchSize = 1
        configuration.gradientAccumulationSteps = 2   // both samples in one step, in either order
        configuration.maxSteps = 1
        let before = model.parameters.map(\.value.scalars)
        let error = #expect(throws: (any Error).self) {
            try Trainer(model: model, samples: [good, bad], configuration: configuration)
        }
        #expect("\(try #require(error))".contains("label 40"), "\(String(describing: error))")
        #expect(model.parameters.allSatisfy { $0.grad == nil }, "no micro-batch ran backward")
        #expect(model.parameters.map(\.value.scalars) == before)
    }
}
