import Foundation

/// What a checkpoint was trained with, recorded in its `trainer_state.json` so that a resume with anything else is
/// refused (``Trainer/resume(from:)``): the tuner, the adapter, its target modules, the optimizer, the order the data
/// is visited in, and hashes of the model and of the encoded training samples.
///
/// Hashes are 64-bit FNV-1a of a canonical text, written as 16 hex digits: the model's is of its `config.json`
/// values and the name and shape of every base tensor; the data's is the objective's (``TrainingObjective/fingerprint``; for SFT of every sample's ids and
/// labels in order).
public struct RunFingerprint: Codable, Sendable, Equatable {
    /// `full`, `lora` or `dora`.
    public var tuner: String
    /// The adapter's settings (`r=8 scale=4.0 dropout=0.05`), empty for full fine-tuning.
    public var adapter: String
    /// The adapted modules (PEFT paths), empty for full fine-tuning.
    public var targetModules: [String]
    /// The optimizer and its hyperparameters (`adamw beta1=0.9 beta2=0.95 eps=1e-08 weight_decay=0.1`).
    public var optimizer: String
    /// What decides the data position's meaning: batch size, accumulation, packing, shuffling and seed.
    public var dataOrder: String
    /// The model's hash (configuration and base tensor names and shapes).
    public var model: String
    /// The encoded training samples' hash.
    public var data: String

    enum CodingKeys: String, CodingKey {
        case tuner, adapter, targetModules = "target_modules", optimizer, dataOrder = "data_order", model, data
    }

    /// The fields in the order a mismatch is reported (the first differing one is named).
    var fields: [(name: String, value: String)] {
        [("tuner", tuner), ("adapter", adapter.isEmpty ? "(none)" : adapter),
         ("target modules", targetModules.isEmpty ? "(none)" : targetModules.joined(separator: ", ")),
         ("optimizer", optimizer), ("data order", dataOrder), ("model fingerprint", model), ("data fingerprint", data)]
    }

    /// The fingerprint of a run of `model` on data hashed as `data` (``TrainingObjective/fingerprint``) with an
    /// optimizer described by `optimizer` (``Optimizer/hyperparameters``) and `configuration`.
    init(model: CausalLanguageModel<Float>, data: String, optimizer: String, configuration c: TrainingConfiguration) {
        let adapters = model.loraAdapters
        tuner = adapters.isEmpty ? "full" : adapters.contains { $0.variant == .dora } ? "dora" : "lora"
        let settings = Set(adapters.map { "r=\($0.rank) scale=\($0.scale) dropout=\($0.dropoutProbability)" })
        adapter = settings.sorted().joined(separator: "; ")
        targetModules = adapters.map(\.adapterPath)
        self.optimizer = optimizer
        if let ratio = c.loraPlusRatio { self.optimizer += " lorap_lr_ratio=\(ratio)" }
        dataOrder = "per_device_train_batch_size=\(c.batchSize) gradient_accumulation_steps=\(c.effectiveGradientAccumulationSteps) "
            + "packing=\(c.packing) dataset_shuffle=\(c.shuffle) seed=\(c.seed)"
        var modelHash = FNV1a()
        modelHash.add("\(model.configuration)")
        for p in model.parameters where !p.path.contains("lora_") {
            modelHash.add(p.path)
            modelHash.add("\(p.shape)")
        }
        self.model = modelHash.hex
        self.data = data
    }

    /// The first difference from `other` (this is the checkpoint's, `other` the run's); differing target modules
    /// are given as counts and the first modules only one side adapts.
    func firstDifference(from other: RunFingerprint) -> (field: String, checkpoint: String, run: String)? {
        for (a, b) in zip(fields, other.fields) where a.value != b.value {
            guard a.name == "target modules" else { return (a.name, a.value, b.value) }
            func summary(_ mine: [String], _ theirs: [String]) -> String {
                let only = mine.filter { !theirs.contains($0) }
                let shown = only.prefix(3).map { $0.replacingOccurrences(of: LoRALinear<Float>.peftPrefix, with: "") }
                return "\(mine.count) modules" + (only.isEmpty ? "" : " (not in the other: \(shown.joined(separator: ", "))"
                    + (only.count > 3 ? " and \(only.count - 3) more" : "") + ")")
            }
            return (a.name, summary(targetModules, other.targetModules), summary(other.targetModules, targetModules))
        }
        return nil
    }
}

/// 64-bit FNV-1a.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(byte: UInt8) {
        value ^= UInt64(byte)
        value = value &* 0x0000_0100_0000_01b3
    }

    /// A string's UTF-8 bytes and a terminator (so "ab"+"c" differs from "a"+"bc").
    mutating func add(_ text: String) {
        for byte in text.utf8 { add(byte: byte) }
        add(byte: 0)
    }

    /// Integers as 8 little-endian bytes each, then the count.
    mutating func add(_ numbers: [Int]) {
        for n in numbers { for k in 0..<8 { add(byte: UInt8(truncatingIfNeeded: UInt64(bitPattern: Int64(n)) >> (8 * UInt64(k)))) } }
        add("\(numbers.count)")
    }

    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
