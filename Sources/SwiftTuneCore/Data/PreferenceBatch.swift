/// A micro-batch of preference data as ONE ``Batch`` of 2P sequences, so that both halves go through a single
/// forward pass, plus the map from pairs to sequences.
///
/// - Pairs (``padded(_:padID:)``, ``packed(_:capacity:padID:)``): sequence i < P is pair i's `P + C⁺` (chosen),
///   sequence P + i is its `P + C⁻` (rejected) — TRL's `concatenated_forward` order.
/// - KTO (``kto(_:klCompletions:maxLength:padID:)``): sequence i < P is example i's own completion, sequence P + i its prompt
///   with the completion of example i − 1 (example 0 with the last one's): the mismatched pairs of the KL estimate,
///   shifted within the micro-batch as TRL's `KTOTrainer` does; ms-swift's `KTOPreprocessor` shifts the same way
///   over groups of the total batch size of the shuffled dataset (pass `klCompletions` for that).
///
/// Labels are the completion tokens (the id where scored, −100 elsewhere: prompt, padding, unscored markup);
/// they align with ids and the model shifts, so a sequence's log-probability is the sum over its positions t with
/// `labels[t] ≠ −100` of log p(labels[t] | ids[..<t]).
public struct PreferenceBatch: Sendable {
    /// Where one sequence lies in ``batch``: row `row`, positions `start ..< start + length`.
    public struct Location: Sendable, Equatable {
        public var row: Int
        public var start: Int
        public var length: Int
    }

    /// `[R, T]` ids, labels and layout of the 2P sequences (R = 2P padded, fewer when packed).
    public var batch: Batch
    /// P: the number of pairs or KTO examples.
    public var count: Int
    /// The 2P sequences' locations, in the order of the type's description.
    public var locations: [Location]
    /// KTO: `label` of each example (sequence i); `nil` for pairs.
    public var desirable: [Bool]?

    /// Location of pair i's chosen sequence (KTO: example i's completion).
    public func chosen(_ i: Int) -> Location { locations[i] }

    /// Location of pair i's rejected sequence (KTO: example i's mismatched KL sequence).
    public func rejected(_ i: Int) -> Location { locations[count + i] }

    /// Flat indices into the `[R·T]` output of ``CausalLanguageModel/tokenLogProbabilities(_:labels:shape:layout:)``
    /// that hold sequence k's scored tokens, in order: position q predicts the label at q + 1, so these are the
    /// positions before each label ≠ −100 of the sequence.
    public func scoredPositions(ofSequence k: Int) -> [Int] {
        let l = locations[k]
        let T = batch.shape[1]
        return (l.start..<max(l.start, l.start + l.length - 1)).map { l.row * T + $0 }
            .filter { batch.labels[$0 + 1] != ignoreIndex }
    }

    /// Pairs padded to the longest sequence, one sequence per row: `[2P, T]`.
    /// - Throws: ``PreferenceBatchError/empty``.
    public static func padded(_ pairs: [PreferencePair], padID: Int = 0) throws -> PreferenceBatch {
        guard !pairs.isEmpty else { throw PreferenceBatchError.empty }
        return padded(pairs.map(\.chosen) + pairs.map(\.rejected), count: pairs.count, padID: padID, desirable: nil)
    }

    /// Pairs packed into rows of at most `capacity` tokens (best-fit decreasing, ``Packing``; a sequence longer than
    /// `capacity` widens the rows to its length). Each sequence is its own attention segment, so its log-probs
    /// equal those of ``padded(_:padID:)``.
    /// - Throws: ``PreferenceBatchError/empty``.
    public static func packed(_ pairs: [PreferencePair], capacity: Int, padID: Int = 0) throws -> PreferenceBatch {
        guard !pairs.isEmpty else { throw PreferenceBatchError.empty }
        let samples = pairs.map(\.chosen) + pairs.map(\.rejected)
        let width = max(capacity, samples.map(\.ids.count).max() ?? 1)
        let rows = Packing.bestFitDecreasing(lengths: samples.map(\.ids.count), capacity: width)
        var locations = [Location](repeating: Location(row: 0, start: 0, length: 0), count: samples.count)
        for (r, members) in rows.enumerated() {
            var start = 0
            for k in members {
                locations[k] = Location(row: r, start: start, length: samples[k].ids.count)
                start += samples[k].ids.count
            }
        }
        let batch = Batch.packed(rows.map { $0.map { samples[$0] } }, padID: padID)
        return PreferenceBatch(batch: batch, count: pairs.count, locations: locations, desirable: nil)
    }

    /// KTO examples and their mismatched KL sequences, padded: `[2P, T]`. The KL completion is cut on the right
    /// so the sequence fits `maxLength` when one is given.
    /// - Throws: ``PreferenceBatchError/empty``; ``PreferenceBatchError/ktoBatchOfOne`` for one example without
    ///   `klCompletions`.
    ///
    /// - Parameters:
    ///   - examples: the micro-batch.
    ///   - klCompletions: the example whose completion each KL sequence uses; default: the shift within this
    ///     micro-batch (TRL: within each `per_device_train_batch_size` batch). Pass
    ///     ``KTOExample/shiftedCompletions(_:groupSize:)`` over the shuffled dataset with the total batch size for
    ///     ms-swift's shift (`swift/pipelines/train/kto.py`, `_get_kl_dataset`).
    ///   - maxLength: the longest KL sequence (its completion is cut on the right).
    ///   - padID: the padding id.
    public static func kto(_ examples: [KTOExample], klCompletions: [KTOExample]? = nil, maxLength: Int? = nil,
                           padID: Int = 0) throws -> PreferenceBatch {
        guard !examples.isEmpty else { throw PreferenceBatchError.empty }
        let others = klCompletions ?? KTOExample.shiftedCompletions(examples, groupSize: examples.count)
        precondition(others.count == examples.count, "\(others.count) KL completions for \(examples.count) examples")
        guard klCompletions != nil || examples.count > 1 else { throw PreferenceBatchError.ktoBatchOfOne }
        let n = examples.count
        let mismatched = (0..<n).map { i in examples[i].sample(withCompletionOf: others[i], maxLength: maxLength) }
        return padded(examples.map(\.sample) + mismatched, count: n, padID: padID, desirable: examples.map(\.desirable))
    }

    private static func padded(_ samples: [Sample], count: Int, padID: Int, desirable: [Bool]?) -> PreferenceBatch {
        let locations = samples.indices.map { Location(row: $0, start: 0, length: samples[$0].ids.count) }
        return PreferenceBatch(batch: Batch.padded(samples, padID: padID), count: count, locations: locations,
                               desirable: desirable)
    }
}
