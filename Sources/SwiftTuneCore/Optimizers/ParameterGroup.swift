import Foundation

/// Parameters that share optimizer hyperparameters, as an entry of PyTorch's `optimizer.param_groups`.
///
/// A group scales the optimizer's current learning rate η (the schedule's value) and may override its weight
/// decay λ, so a step updates the group's parameters with η·``learningRateScale`` and ``weightDecay`` ?? λ.
public struct ParameterGroup<Scalar: TensorScalar> {
    public var parameters: [Parameter<Scalar>]
    /// Multiplies the optimizer's learning rate for this group (LoRA+ uses it for the B matrices).
    public var learningRateScale: Double
    /// Weight decay of this group; `nil` means the optimizer's.
    public var weightDecay: Double?

    public init(_ parameters: [Parameter<Scalar>], learningRateScale: Double = 1, weightDecay: Double? = nil) {
        self.parameters = parameters
        self.learningRateScale = learningRateScale
        self.weightDecay = weightDecay
    }
}

extension ParameterGroup {
    /// Whether weight decay applies to the parameter at `path`, by transformers' `Trainer.get_decay_parameter_names`:
    /// no decay when the lower-cased path contains `bias`, `layernorm` or `rmsnorm`, or has a `norm` or `*_norm`
    /// component (RMSNorm scales such as `input_layernorm.weight`, `model.norm.weight`, Qwen3's `q_norm.weight`).
    public static func isDecayed(_ path: String) -> Bool {
        let p = path.lowercased()
        if p.contains("bias") || p.contains("layernorm") || p.contains("rmsnorm") { return false }
        for component in p.split(separator: ".") where component == "norm" || component.hasSuffix("_norm") {
            return false
        }
        return true
    }

    /// The groups ms-swift's trainer builds (transformers' `Trainer.create_optimizer`, plus LoRA+ when
    /// `loraPlusRatio` is set):
    ///
    /// - parameters that ``isDecayed(_:)`` accepts get `weightDecay`, the others (norm scales, biases) get 0;
    /// - with LoRA+ (Hayou et al. 2024) the `lora_B` matrices and every 1-D trainable tensor (DoRA magnitudes,
    ///   biases) learn at η·ratio, everything else at η — the grouping of PEFT's `create_loraplus_optimizer`. Weight
    ///   decay keeps the rule above, as ms-swift's LoRA+ groups do; PEFT's function decays everything but biases
    ///   and `nn.LayerNorm`s, so it differs only for trainable RMSNorm scales, which LoRA runs do not have.
    ///
    /// Empty groups are dropped; the order of parameters inside a group is their order in `parameters`.
    public static func standard(_ parameters: [Parameter<Scalar>], weightDecay: Double,
                                loraPlusRatio: Double? = nil) -> [ParameterGroup] {
        var groups: [String: ParameterGroup] = [:]
        var order: [String] = []
        for p in parameters {
            let decayed = isDecayed(p.path)
            let fast = loraPlusRatio != nil && (p.path.contains("lora_B") || p.shape.count == 1)
            let key = "\(decayed)-\(fast)"
            if groups[key] == nil {
                order.append(key)
                groups[key] = ParameterGroup([], learningRateScale: fast ? loraPlusRatio! : 1,
                                             weightDecay: decayed ? weightDecay : 0)
            }
            groups[key]!.parameters.append(p)
        }
        return order.map { groups[$0]! }
    }
}
