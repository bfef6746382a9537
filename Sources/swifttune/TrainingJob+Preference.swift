import Foundation
import SwiftTuneCore

/// `rlhf`: preference data, the reference model and the objective.
extension TrainingJob {
    /// Reads and encodes the preference files, builds the reference (DPO, KTO) and the objective, and precomputes
    /// the reference log-probabilities when asked. Returns the objective and a description of its units.
    ///
    /// Reference rule (ms-swift's): `--ref-model DIR` (with `--ref-adapters` on it) when given; otherwise a LoRA /
    /// DoRA policy's base with its adapters switched off — also when continued from `--adapters` — or, with
    /// `--ref-adapters`, `--model` with that adapter loaded frozen; full fine-tuning: a frozen copy of `--model`.
    func preferenceObjective(_ rlhf: RLHFOptions, model: CausalLanguageModel<Float>, encoder: SampleEncoder,
                             tokenizer: Tokenizer, configuration: TrainingConfiguration) throws -> (any TrainingObjective, String) {
        let loss: RLHFOptions.Loss
        do { loss = try rlhf.lossDescription() } catch { throw CommandError("\(error)") }
        let kind: PreferenceDataset.Kind = rlhf.rlhfType == .kto ? .unpaired : .paired
        let preference = PreferenceEncoder(encoder)
        let padID = tokenizer.padTokenID ?? 0
        let vocabulary = model.configuration.vocabularySize
        func read(_ files: [String], option: String) throws -> (pairs: [PreferencePair], examples: [KTOExample]) {
            var pairs: [PreferencePair] = [], examples: [KTOExample] = []
            for path in files {
                let data = try PreferenceDataset(contentsOf: URL(fileURLWithPath: path), kind: kind,
                                                 skipBadRows: options.skipBadRows == true,
                                                 maxRowBytes: options.maxRowBytes ?? JSONLDataset.defaultMaxRowBytes)
                let dropped: PreferenceDropCounts, skipped: [DatasetError], kept: Int
                if kind == .paired {
                    let encoded = try preference.encodePairs(data, vocabularySize: vocabulary, skipBadRows: options.skipBadRows == true)
                    pairs += encoded.items.map(\.item)
                    (dropped, skipped, kept) = (encoded.dropped, encoded.skipped, encoded.items.count)
                } else {
                    let encoded = try preference.encodeUnpaired(data, vocabularySize: vocabulary, skipBadRows: options.skipBadRows == true)
                    examples += encoded.items.map(\.item)
                    (dropped, skipped, kept) = (encoded.dropped, encoded.skipped, encoded.items.count)
                }
                for problem in skipped { Console.status("skipped \(problem)\n") }
                print("\(option) \(path): \(kept) \(kind == .paired ? "pairs" : "examples"), \(dropped.total) dropped "
                      + "(\(dropped.promptTooLong) prompt too long, \(dropped.tooLong) too long, \(dropped.nothingToScore) nothing scored), "
                      + "\(skipped.count) malformed rows skipped")
            }
            return (pairs, examples)
        }
        let train = try read(options.dataset, option: "--dataset")
        let validation = try read(options.valDataset, option: "--val-dataset")
        let reference = rlhf.usesReference ? try makeReference(rlhf, model: model) : nil
        switch loss {
        case let .paired(method):
            let objective = try PreferenceObjective(model: model, pairs: train.pairs, validationPairs: validation.pairs,
                                                    method: method, reference: reference, configuration: configuration,
                                                    padID: padID)
            if rlhf.precomputeRefLogProbs == true {
                try objective.precomputeReferenceLogProbabilities()
                print("precomputed the reference log-probabilities of \(train.pairs.count + validation.pairs.count) pairs")
            }
            return (objective, "\(train.pairs.count) pairs")
        case let .kto(ktoLoss):
            guard let reference else { throw PreferenceObjectiveError.missingReference(method: "kto") }
            let objective: KTOObjective
            do {
                objective = try KTOObjective(model: model, examples: train.examples, validationExamples: validation.examples,
                                             loss: ktoLoss, reference: reference, configuration: configuration, padID: padID)
            } catch let error as PreferenceObjectiveError { throw CommandError("\(error)") }
            if rlhf.precomputeRefLogProbs == true {
                try objective.precomputeReferenceLogProbabilities()
                print("precomputed the reference log-probabilities of \(train.examples.count + validation.examples.count) examples")
            }
            let desirable = train.examples.filter(\.desirable).count
            return (objective, "\(train.examples.count) examples (\(desirable) desirable)")
        }
    }

    /// The reference policy by ms-swift's rule (see ``preferenceObjective(_:model:encoder:tokenizer:configuration:)``).
    func makeReference(_ rlhf: RLHFOptions, model: CausalLanguageModel<Float>) throws -> ReferencePolicy<Float> {
        let adapter = rlhf.refAdapters.first.map { URL(fileURLWithPath: $0) }
        if let refModel = rlhf.refModel {
            return try ReferencePolicy.frozen(modelFolder: URL(fileURLWithPath: refModel), adapterFolder: adapter)
        }
        if options.isFull || adapter != nil {
            return try ReferencePolicy.frozen(modelFolder: URL(fileURLWithPath: options.model), adapterFolder: adapter)
        }
        return .adaptersDisabled(model)
    }
}
