import Foundation

/// Supervised fine-tuning (and pre-training): next-token cross-entropy over the scored tokens.
///
/// A unit is a sample, or with ``TrainingConfiguration/packing`` a row of samples packed by
/// ``Packing/bestFitDecreasing(_:capacity:)`` into the length ``TrainingConfiguration/effectiveMaxLength(modelMaxPositions:)``.
/// The normaliser counts scored tokens (labels other than −100 after the shift), so a step's loss is
///
///     L = (1/N) Σ_micro-batches Σ_scored tokens −log p(y_t | x_<t),   N = scored tokens of the step,
///
/// the mean over all scored tokens of the step as transformers computes it: accumulation and packing do not change
/// the gradients. ``fingerprint`` hashes every sample's ids and labels in order (64-bit FNV-1a).
public final class SFTObjective: TrainingObjective {
    /// The units: one sample each, or the samples of a packed row.
    public let units: [[Sample]]
    /// Whether units are packed rows (one row per unit with block-diagonal attention) or padded samples.
    public let packing: Bool
    /// The validation samples in padded batches of `batchSize`.
    let validation: [Batch]
    public let fingerprint: String

    /// - Throws: ``TrainingError`` when there are no samples, a setting is out of range, a token id or label is
    ///   outside the vocabulary, or a sample is longer than the model's positions.
    public init(model: CausalLanguageModel<Float>, samples: [Sample], validationSamples: [Sample] = [],
                configuration: TrainingConfiguration) throws {
        guard !samples.isEmpty else { throw TrainingError.noSamples }
        try configuration.validate()
        let vocabulary = model.configuration.vocabularySize
        let positions = model.configuration.maxPositions
        for s in samples + validationSamples {
            try s.validate(vocabularySize: vocabulary)
            if s.ids.count > positions { throw TrainingError.sampleTooLong(length: s.ids.count, maxPositions: positions) }
        }
        packing = configuration.packing
        units = packing
            ? Packing.bestFitDecreasing(samples, capacity: configuration.effectiveMaxLength(modelMaxPositions: positions))
            : samples.map { [$0] }
        let size = max(1, configuration.batchSize)
        validation = stride(from: 0, to: validationSamples.count, by: size).map {
            Batch.padded(Array(validationSamples[$0..<min($0 + size, validationSamples.count)]))
        }
        fingerprint = SFTObjective.dataFingerprint(samples)
    }

    /// FNV-1a of every sample's ids and labels in order (the ``RunFingerprint/data`` of SFT runs).
    static func dataFingerprint(_ samples: [Sample]) -> String {
        var hash = FNV1a()
        for s in samples {
            hash.add(s.ids)
            hash.add(s.labels)
        }
        return hash.hex
    }

    public var unitCount: Int { units.count }

    /// The scored tokens of the units.
    public func normalizerCount(units indices: [Int]) -> Int {
        indices.reduce(0) { n, i in units[i].reduce(n) { $0 + $1.scoredTokenCount } }
    }

    public func tokenCount(units indices: [Int]) -> Int {
        indices.reduce(0) { n, i in units[i].reduce(n) { $0 + $1.ids.count } }
    }

    /// The micro-batch of the units: packed rows, or samples padded to the longest.
    public func batch(units indices: [Int]) -> Batch {
        let chosen = indices.map { units[$0] }
        return packing ? Batch.packed(chosen) : Batch.padded(chosen.map { $0[0] })
    }

    public func validate(units indices: [Int], model: CausalLanguageModel<Float>) throws {
        let b = batch(units: indices)
        try model.validateLabels(b.labels, ids: b.ids)
        try model.validateInput(b.ids, shape: b.shape, layout: b.layout)
    }

    /// Summed token cross-entropy of the units divided by `normalizer`; no metrics.
    public func loss(units indices: [Int], model: CausalLanguageModel<Float>, normalizer: Double) throws -> ObjectiveOutput {
        let b = batch(units: indices)
        return ObjectiveOutput(loss: try model.loss(b.ids, labels: b.labels, shape: b.shape, layout: b.layout,
                                                    normalizer: normalizer))
    }

    /// Mean loss over the scored tokens of the validation samples (no gradients), no metrics.
    /// - Throws: ``ModelInputError`` for a validation batch the model cannot take.
    public func evaluate(model: CausalLanguageModel<Float>) throws -> ValidationResult? {
        guard !validation.isEmpty else { return nil }
        let total = Double(validation.reduce(0) { $0 + $1.scoredTokenCount })
        let loss = try withoutGradients {
            try validation.reduce(0.0) { sum, b in
                sum + Double(try model.loss(b.ids, labels: b.labels, shape: b.shape, layout: b.layout, normalizer: total).item)
            }
        }
        return ValidationResult(loss: loss)
    }
}
