import SwiftTuneCore
import Testing

/// Every setting outside its range is a ``TrainingError/outOfRange(field:value:allowed:)`` naming the field and value.
@Suite("training configuration ranges")
struct TrainingConfigurationValidationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var field: String
        var value: String
        var change: @Sendable (inout TrainingConfiguration) -> Void
        var testDescription: String { "\(field) = \(value)" }
    }

    static let cases: [Case] = [
        Case(field: "learning_rate", value: "nan") { $0.learningRate = .nan },
        Case(field: "learning_rate", value: "-1.0") { $0.learningRate = -1 },
        Case(field: "weight_decay", value: "inf") { $0.weightDecay = .infinity },
        Case(field: "adam_beta1", value: "1.0") { $0.adamBeta1 = 1 },
        Case(field: "adam_beta2", value: "1.0") { $0.adamBeta2 = 1 },
        Case(field: "adam_beta2", value: "-0.5") { $0.adamBeta2 = -0.5 },
        Case(field: "adam_epsilon", value: "0.0") { $0.adamEpsilon = 0 },
        Case(field: "adam_epsilon", value: "nan") { $0.adamEpsilon = .nan },
        Case(field: "sgd_momentum", value: "-0.1") { $0.sgdMomentum = -0.1 },
        Case(field: "lorap_lr_ratio", value: "0.0") { $0.loraPlusRatio = 0 },
        Case(field: "max_grad_norm", value: "nan") { $0.maxGradNorm = .nan },
        Case(field: "per_device_train_batch_size", value: "0") { $0.batchSize = 0 },
        Case(field: "gradient_accumulation_steps", value: "0") { $0.gradientAccumulationSteps = 0 },
        Case(field: "max_length", value: "-1") { $0.maxLength = -1 },
        Case(field: "warmup_steps", value: "-1") { $0.warmupSteps = -1 },
        Case(field: "warmup_ratio", value: "1.5") { $0.warmupRatio = 1.5 },
        Case(field: "max_steps", value: "-3") { $0.maxSteps = -3 },
        Case(field: "num_train_epochs", value: "0.0") { $0.numTrainEpochs = 0 },
        Case(field: "num_train_epochs", value: "nan") { $0.numTrainEpochs = .nan },
        Case(field: "save_steps", value: "-1") { $0.saveSteps = -1 },
        Case(field: "eval_steps", value: "-2") { $0.evalSteps = -2 },
        Case(field: "logging_steps", value: "0") { $0.loggingSteps = 0 },
    ]

    @Test(arguments: cases)
    func outOfRange(_ c: Case) {
        var configuration = TrainingConfiguration()
        c.change(&configuration)
        #expect {
            try configuration.validate()
        } throws: { error in
            guard case let TrainingError.outOfRange(field, value, _)? = error as? TrainingError else { return false }
            return field == c.field && value == c.value && "\(error)".contains(c.field)
        }
    }

    /// The defaults, and the documented "0 = only at the end" of save and eval steps, are valid.
    @Test func boundariesThatAreAllowed() throws {
        try TrainingConfiguration().validate()
        var c = TrainingConfiguration()
        c.saveSteps = 0
        c.evalSteps = 0
        c.maxGradNorm = 0
        c.learningRate = 0
        c.adamBeta1 = 0
        c.warmupRatio = 1
        c.maxLength = 1
        try c.validate()
    }

    /// The length limit never exceeds the model's positions.
    @Test func maxLengthIsCappedAtThePositions() {
        var c = TrainingConfiguration()
        #expect(c.effectiveMaxLength(modelMaxPositions: 256) == 256)
        c.maxLength = 2048
        #expect(c.effectiveMaxLength(modelMaxPositions: 256) == 256)
        c.maxLength = 64
        #expect(c.effectiveMaxLength(modelMaxPositions: 256) == 64)
    }
}
