import ArgumentParser
import Foundation
import SwiftTuneCore

/// The options `swifttune rlhf` adds to ``TrainOptions``: the method, its loss options (ms-swift's
/// `RLHFArguments` names and defaults) and the reference model.
struct RLHFOptions: ParsableArguments {
    /// ms-swift's `rlhf_type` values SwiftTune trains.
    enum Method: String, CaseIterable, ExpressibleByArgument {
        case dpo, kto, orpo, simpo, cpo
    }

    @Option(help: "dpo, kto, orpo, simpo or cpo (default dpo).") var rlhfType: Method = .dpo
    @Option(help: "β (default 0.1; 2.0 for simpo).") var beta: Double?
    @Option(parsing: .upToNextOption, help: ArgumentHelp(
        "Loss types, space or comma separated (dpo: several, summed with --loss-weights; default sigmoid for dpo/cpo, simpo for simpo, kto for kto).",
        valueName: "type"))
    var lossType: [String] = []
    @Option(parsing: .upToNextOption, help: "One weight per --loss-type (dpo; default all 1).") var lossWeights: [String] = []
    @Option(help: "Label smoothing ε (dpo, cpo; default 0).") var labelSmoothing: Double?
    @Option(help: "RPO: add α × the chosen NLL to the DPO loss (default off).") var rpoAlpha: Double?
    @Option(help: "LD-DPO α: weight of the tokens past the shorter completion (dpo; default off).") var ldAlpha: Double?
    @Option(help: "DiscoPOP τ (default 0.05).") var discopopTau: Double?
    @Option(help: "SimPO target margin γ (default 1).") var simpoGamma: Double?
    @Option(help: "Weight of the NLL term of cpo/simpo (default 1).") var cpoAlpha: Double?
    @Option(help: "KTO weight of desirable examples (default 1).") var desirableWeight: Double?
    @Option(help: "KTO weight of undesirable examples (default 1).") var undesirableWeight: Double?
    @Flag(inversion: .prefixedNo, exclusivity: .chooseLast,
          help: "Run the reference once over the data before training and cache its log-probabilities (dpo, kto).")
    var precomputeRefLogProbs: Bool?
    @Option(help: "Reference model folder (dpo, kto; default: the policy with adapters off, or a copy of --model for --tuner full).")
    var refModel: String?
    @Option(parsing: .upToNextOption, help: "PEFT adapter folder loaded frozen on the reference (dpo, kto).")
    var refAdapters: [String] = []

    /// The loss types as given, split at commas and spaces.
    var lossTypes: [String] {
        lossType.flatMap { $0.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init) }
    }

    /// The loss weights, split at commas and spaces.
    func weights() throws -> [Double]? {
        let texts = lossWeights.flatMap { $0.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init) }
        guard !texts.isEmpty else { return nil }
        return try texts.map { text in
            guard let w = Double(text), w.isFinite else { throw ValidationError("--loss-weights '\(text)' is not a finite number") }
            return w
        }
    }

    var usesReference: Bool { rlhfType == .dpo || rlhfType == .kto }

    func validate() throws {
        for (name, value) in [("--beta (ms-swift --beta)", beta), ("--discopop-tau (ms-swift --discopop_tau)", discopopTau),
                              ("--desirable-weight (ms-swift --desirable_weight)", desirableWeight),
                              ("--undesirable-weight (ms-swift --undesirable_weight)", undesirableWeight)] {
            try OptionRange.finite(name, value, above: 0)
        }
        if let labelSmoothing, !(labelSmoothing >= 0 && labelSmoothing < 0.5) {
            throw OptionRange.failure("--label-smoothing (ms-swift --label_smoothing)", labelSmoothing, "in [0, 0.5)")
        }
        if let ldAlpha, !(ldAlpha >= 0 && ldAlpha <= 1) { throw OptionRange.failure("--ld-alpha (ms-swift --ld_alpha)", ldAlpha, "in [0, 1]") }
        for (name, value) in [("--rpo-alpha (ms-swift --rpo_alpha)", rpoAlpha), ("--simpo-gamma (ms-swift --simpo_gamma)", simpoGamma),
                              ("--cpo-alpha (ms-swift --cpo_alpha)", cpoAlpha)] {
            if let value, !value.isFinite { throw OptionRange.failure(name, value, "a finite number") }
        }
        if refAdapters.count > 1 { throw ValidationError("--ref-adapters: SwiftTune loads one reference adapter, not \(refAdapters.count)") }
        if !usesReference {
            if refModel != nil || !refAdapters.isEmpty {
                throw ValidationError("--ref-model / --ref-adapters: \(rlhfType.rawValue) is reference-free (ms-swift refuses a ref_model for CPO/ORPO)")
            }
            if precomputeRefLogProbs == true { throw ValidationError("--precompute-ref-log-probs: \(rlhfType.rawValue) has no reference model") }
        }
        let method = rlhfType.rawValue
        func only(_ option: String, _ given: Bool, _ methods: [Method]) throws {
            if given && !methods.contains(rlhfType) {
                throw ValidationError("\(option) does not apply to --rlhf-type \(method) (only \(methods.map(\.rawValue).joined(separator: ", ")))")
            }
        }
        try only("--loss-weights", !lossWeights.isEmpty, [.dpo])
        try only("--rpo-alpha", rpoAlpha != nil, [.dpo])
        try only("--ld-alpha", ldAlpha != nil, [.dpo])
        try only("--discopop-tau", discopopTau != nil, [.dpo])
        try only("--label-smoothing", labelSmoothing != nil, [.dpo, .cpo, .simpo])
        try only("--simpo-gamma", simpoGamma != nil, [.cpo, .simpo])
        try only("--cpo-alpha", cpoAlpha != nil, [.cpo, .simpo])
        try only("--desirable-weight", desirableWeight != nil, [.kto])
        try only("--undesirable-weight", undesirableWeight != nil, [.kto])
        _ = try lossDescription()
    }

    /// What the run minimises: a paired method, or KTO.
    enum Loss {
        case paired(PreferenceMethod)
        case kto(KTOLoss)
    }

    /// The loss with ms-swift's defaults for the options not given.
    func lossDescription() throws -> Loss {
        let types = lossTypes
        func single<T: RawRepresentable>(_ type: T.Type, default value: T) throws -> T where T.RawValue == String, T: CaseIterable {
            guard types.count <= 1 else {
                throw ValidationError("--loss-type: several loss types are only supported for dpo, not \(rlhfType.rawValue)")
            }
            guard let text = types.first else { return value }
            guard let parsed = T(rawValue: text) else {
                throw ValidationError("--loss-type '\(text)' is not a \(rlhfType.rawValue) loss type: must be one of "
                                      + T.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return parsed
        }
        switch rlhfType {
        case .dpo:
            let parsed = try types.map { text in
                guard let t = DPOLossType(rawValue: text) else {
                    throw ValidationError("--loss-type '\(text)' is not a dpo loss type: must be one of "
                                          + DPOLossType.allCases.map(\.rawValue).joined(separator: ", "))
                }
                return t
            }
            let w = try weights()
            if let w, w.count != max(1, parsed.count) {
                throw ValidationError("--loss-weights: \(w.count) weights for \(max(1, parsed.count)) loss types (need one per --loss-type)")
            }
            let loss = DPOLoss(lossTypes: parsed.isEmpty ? [.sigmoid] : parsed, lossWeights: w, beta: beta ?? 0.1,
                               labelSmoothing: labelSmoothing ?? 0, rpoAlpha: rpoAlpha, discopopTau: discopopTau ?? 0.05)
            return .paired(.dpo(loss, ldAlpha: ldAlpha))
        case .cpo, .simpo:
            let type = try single(CPOLoss.LossType.self, default: rlhfType == .simpo ? .simpo : .sigmoid)
            return .paired(.cpo(CPOLoss(lossType: type, beta: beta ?? (rlhfType == .simpo ? 2 : 0.1),
                                        labelSmoothing: labelSmoothing ?? 0, simpoGamma: simpoGamma ?? 1, cpoAlpha: cpoAlpha ?? 1)))
        case .orpo:
            if !types.isEmpty { throw ValidationError("--loss-type does not apply to --rlhf-type orpo") }
            return .paired(.orpo(ORPOLoss(beta: beta ?? 0.1)))
        case .kto:
            let type = try single(KTOLoss.LossType.self, default: .kto)
            return .kto(KTOLoss(lossType: type, beta: beta ?? 0.1, desirableWeight: desirableWeight ?? 1,
                                undesirableWeight: undesirableWeight ?? 1))
        }
    }
}

/// `swifttune rlhf`: preference alignment (DPO, KTO, ORPO, SimPO, CPO) with every option of `sft`.
struct RLHFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rlhf", abstract: "Preference alignment: DPO (every TRL loss type), KTO, ORPO, SimPO, CPO.")
    @OptionGroup var options: TrainOptions
    @OptionGroup var rlhf: RLHFOptions

    func validate() throws {
        for text in options.dataset + options.valDataset {
            if let source = try? DatasetSource(parsing: text), source.sample != nil {
                throw ValidationError("\(text): rlhf reads whole preference files (file.jsonl#N sampling is for pt/sft)")
            }
        }
    }

    func run() throws { try TrainingJob(options: options, objective: .preference(rlhf)).run() }
}
