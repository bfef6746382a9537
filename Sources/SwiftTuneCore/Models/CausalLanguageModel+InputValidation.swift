import Foundation

/// Checks of a model's inputs, run by its public entry points before any work, so that no id, label or length
/// from user data reaches a precondition in the embedding, the rotary tables or the cross-entropy kernel.
extension CausalLanguageModel {
    /// Validates `ids` laid out as `shape` `[B, T]` with an optional `layout`: counts agree, ids lie in the
    /// vocabulary, and no position reaches `max_position_embeddings`.
    /// - Throws: ``ModelInputError``.
    public func validateInput(_ ids: [Int], shape: [Int], layout: AttentionLayout? = nil) throws {
        guard shape.count == 2, shape[0] >= 0, shape[1] >= 0 else {
            throw ModelInputError.shapeMismatch(reason: "shape \(shape) is not [B, T] with B, T ≥ 0")
        }
        let (count, overflow) = shape[0].multipliedReportingOverflow(by: shape[1])
        guard !overflow, count == ids.count else {
            throw ModelInputError.shapeMismatch(reason: "\(ids.count) ids for shape \(shape)")
        }
        if let layout, layout.batchSize != shape[0] || layout.length != shape[1] {
            throw ModelInputError.shapeMismatch(
                reason: "layout \(layout.batchSize)×\(layout.length) for ids of shape \(shape)")
        }
        let maxPositions = min(configuration.maxPositions, rope.maxPositions)
        if let layout {
            if let highest = layout.positions.max(), highest >= maxPositions {
                throw ModelInputError.sequenceTooLong(length: highest + 1, maxPositions: maxPositions)
            }
        } else if shape[1] > maxPositions {
            throw ModelInputError.sequenceTooLong(length: shape[1], maxPositions: maxPositions)
        }
        try Self.checkTokens(ids, vocabularySize: configuration.vocabularySize)
    }

    /// Validates `labels` for ``loss(_:labels:shape:layout:normalizer:)``: one per id, each −100 or in the vocabulary.
    /// - Throws: ``ModelInputError``.
    public func validateLabels(_ labels: [Int], ids: [Int]) throws {
        guard labels.count == ids.count else {
            throw ModelInputError.shapeMismatch(reason: "\(labels.count) labels for \(ids.count) ids")
        }
        let vocabulary = configuration.vocabularySize
        if let index = labels.firstIndex(where: { $0 != ignoreIndex && !(0..<vocabulary).contains($0) }) {
            throw ModelInputError.labelOutOfRange(label: labels[index], index: index, vocabularySize: vocabulary)
        }
    }

    static func checkTokens(_ ids: [Int], vocabularySize: Int) throws {
        if let index = ids.firstIndex(where: { !(0..<vocabularySize).contains($0) }) {
            throw ModelInputError.tokenOutOfRange(id: ids[index], index: index, vocabularySize: vocabularySize)
        }
    }
}
