/// A LoRA (or DoRA) adapter around a frozen linear layer, by composition: the base can be a dense ``Linear`` or
/// any other ``LinearLayer`` (a quantized one), and the adapter is the same type either way.
///
/// Shapes: x `[..., in]`, y `[..., out]`; A `[r, in]`, B `[out, r]`; DoRA's magnitude m `[out]`.
///
/// LoRA (Hu et al. 2021), with s = α / r (rsLoRA, Kalajdzievski 2023: s = α / √r):
///
///     y = base(x) + s · (dropout(x) · Aᵀ) · Bᵀ
///
/// DoRA (Liu et al. 2024) rescales each output row of the adapted weight W + s·B·A to a learned length m. As PEFT
/// computes it (`DoraLinearLayer.forward`), with n = ‖W + s·B·A‖ per row and g = m / n:
///
///     y = base(x) + (g − 1) · (x̃ · Wᵀ) + g · s · (x̃ · Aᵀ) · Bᵀ,     x̃ = dropout(x)
///
/// which, without dropout, is `bias + g · (x · (W + s·B·A)ᵀ)`. The norm n is treated as a constant in backward
/// ("we suggest treating ‖V + ΔV‖_c in Eq. (5) as a constant, thereby detaching it from the gradient graph",
/// DoRA §4.3), so it costs no gradient memory.
///
/// Only A, B (and m) are trainable: the initialiser freezes every parameter of the base, so backward computes no
/// weight gradient for it. Parameters are named with PEFT's keys, `base_model.model.<base path>.lora_A.weight`,
/// `….lora_B.weight` and `….lora_magnitude_vector`, so they are the keys of PEFT's `adapter_model.safetensors`.
///
/// ```swift
/// let adapter = try LoRALinear(base: projection, configuration: LoRAConfiguration(rank: 8, alpha: 16), seed: 1)
/// let y = adapter(x)   // == projection(x) at initialisation (B = 0)
/// ```
public final class LoRALinear<Scalar: TensorScalar>: LinearLayer {
    /// The wrapped layer (frozen).
    public let base: any LinearLayer<Scalar>
    /// A `[r, in]`.
    public let loraA: Parameter<Scalar>
    /// B `[out, r]`.
    public let loraB: Parameter<Scalar>
    /// DoRA's magnitude m `[out]`; `nil` for plain LoRA.
    public let magnitude: Parameter<Scalar>?
    /// r.
    public let rank: Int
    /// s = α / r, or α / √r with rsLoRA.
    public let scale: Scalar
    /// The drop probability applied to the adapter's input while ``isTraining``.
    public let dropoutProbability: Double
    /// Whether dropout is applied (PEFT's `module.training`). Turn off for evaluation and generation.
    public var isTraining = true
    /// The dropout stream's seed.
    public let dropoutSeed: UInt64
    /// Selects the dropout mask: a forward pass uses counters starting at `dropoutStep · 2⁴⁰` of the stream, so
    /// recomputing a pass (gradient checkpointing) reproduces its mask. Advance it once per micro-batch.
    public var dropoutStep: UInt64 = 0
    /// Whether s·B·A (DoRA: the rescaled weight) has been written into the base weight; then the forward pass is
    /// the base alone.
    public internal(set) var isMerged = false
    /// How many ``CausalLanguageModel/withAdaptersDisabled(_:)`` scopes are open around this adapter; while any
    /// is, the forward pass is the base alone (PEFT's `disable_adapter()`).
    var disabledDepth = 0
    /// Whether the adapter is switched off (inside ``CausalLanguageModel/withAdaptersDisabled(_:)``).
    public var isDisabled: Bool { disabledDepth > 0 }
    /// DoRA: the row norms n used by ``merge()``, needed to undo it.
    var mergedWeightNorm: Tensor<Scalar>?

    /// Plain LoRA or DoRA.
    public enum Variant: Sendable { case lora, dora }

    /// Which update this adapter computes.
    public var variant: Variant { magnitude == nil ? .lora : .dora }

    /// The PEFT module key, `base_model.model.<base path>`.
    public var adapterPath: String { LoRALinear.peftPrefix + base.path }

    /// What PEFT's `PeftModel` puts before a module path of the wrapped model.
    public static var peftPrefix: String { "base_model.model." }

    /// Wraps `base`, freezing its parameters, and initialises A and B (and m) as `configuration` says.
    ///
    /// - Parameters:
    ///   - base: the projection to adapt: a dense ``Linear`` or another ``LinearLayer`` such as ``NF4Linear``.
    ///   - configuration: rank, α, rsLoRA, DoRA, dropout and ``LoRAConfiguration/Initialization``.
    ///   - seed: the random stream for A (and B with ``LoRAConfiguration/Initialization/linearDefault``) and for
    ///     dropout masks.
    /// - Throws: ``LoRAError`` for an invalid configuration, a rank above min(in, out) of `base`, or PiSSA on a base
    ///   that is not a dense ``Linear``.
    public init(base: any LinearLayer<Scalar>, configuration: LoRAConfiguration, seed: UInt64) throws {
        try configuration.validate()
        let (r, input, output) = (configuration.rank, base.inputFeatures, base.outputFeatures)
        guard r <= min(input, output) else {
            throw LoRAError.invalidValue(file: "", key: "r", value: "\(r)",
                                         reason: "exceeds min(in, out) = \(min(input, output)) of \(base.path) (\(input) → \(output))")
        }
        self.base = base
        rank = r
        scale = Scalar(configuration.scale)
        dropoutProbability = configuration.dropout
        dropoutSeed = RandomGenerator.bits(seed: seed, index: .max)
        base.parameters.forEach { $0.isTrainable = false }
        let prefix = LoRALinear.peftPrefix + base.path
        var generator = RandomGenerator(seed: seed)
        let (a, b) = try LoRALinear.initialFactors(base: base, rank: r, scale: scale, configuration.initialization,
                                                   generator: &generator)
        precondition(a.shape == [r, input] && b.shape == [output, r], "\(prefix): factors \(a.shape), \(b.shape)")
        loraA = Parameter(a, path: prefix + ".lora_A.weight")
        loraB = Parameter(b, path: prefix + ".lora_B.weight")
        // DoRA starts from the length of the adapted weight's rows, so the initial output is the base's (PEFT:
        // `DoraLinearLayer.update_layer`).
        magnitude = configuration.useDoRA
            ? Parameter(LoRALinear.rowNorms(base.denseWeight() + LoRALinear.delta(a, b, scale)),
                        path: prefix + ".lora_magnitude_vector")
            : nil
    }

    public var inputFeatures: Int { base.inputFeatures }
    public var outputFeatures: Int { base.outputFeatures }
    /// The base's path (the model sees the adapter where the projection was).
    public var path: String { base.path }
    public var bias: Parameter<Scalar>? { base.bias }

    /// The base's parameters (frozen), then A, B and m.
    public var parameters: [Parameter<Scalar>] { base.parameters + adapterParameters }

    /// A, B and, for DoRA, m: what is saved in an adapter file.
    public var adapterParameters: [Parameter<Scalar>] { [loraA, loraB] + (magnitude.map { [$0] } ?? []) }

    /// The base's weight `[out, in]` (merged, when ``isMerged``).
    public func denseWeight() -> Tensor<Scalar> { base.denseWeight() }

    /// `[..., in]` → `[..., out]`: the base plus the adapter's update (see the type's description); the base alone
    /// when merged or ``isDisabled``.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(x.shape.last == inputFeatures, "\(path): input \(x.shape) for an adapter of \(inputFeatures) → \(outputFeatures)")
        if isMerged || isDisabled { return base(x) }
        return output(x, a: loraA.value, b: loraB.value, magnitude: magnitude?.value,
                      norm: magnitude == nil ? nil : weightNorm())
    }

    /// The forward pass with explicit A `[r, in]`, B `[out, r]`, m `[out]` and the constant row norm n `[out]`
    /// (DoRA), so that a gradient check can perturb the factors while n stays fixed, as backward treats it.
    func output(_ x: Tensor<Scalar>, a: Tensor<Scalar>, b: Tensor<Scalar>, magnitude: Tensor<Scalar>?,
                norm: Tensor<Scalar>?) -> Tensor<Scalar> {
        let dropped = applyDropout(x)
        if magnitude == nil, !dropped.isDropped, let frozen = base as? any FrozenLinearGradient<Scalar>,
           base.parameters.allSatisfy({ !$0.isTrainable }) {
            var y = withoutGradients { base(x) }   // its backward is folded into the LoRA operation's
            return Self.addLowRank(to: &y, x: x, a: a, b: b, scale: scale, frozenBase: frozen)
        }
        var result = base(x)
        guard let magnitude, let norm else { return Self.addLowRank(to: &result, x: dropped.value, a: a, b: b, scale: scale) }
        let update = matmul(matmul(dropped.value, a, transposeB: true), b, transposeB: true)
        let g = magnitude / norm.detached
        // PEFT reuses the base output when dropout is off and otherwise runs the base weight on the dropped input.
        let baseResult = dropped.isDropped ? withoutBias(base(dropped.value)) : withoutBias(result)
        return result + (g - 1) * baseResult + g * update * scale
    }

    /// The DoRA §4.3 constant: ‖W + s·B·A‖ per output row, `[out]`, from the current A and B.
    public func weightNorm() -> Tensor<Scalar> {
        withoutGradients { LoRALinear.rowNorms(base.denseWeight() + deltaWeight()) }
    }

    /// s·B·A `[out, in]` (a constant).
    public func deltaWeight() -> Tensor<Scalar> { withoutGradients { LoRALinear.delta(loraA.value, loraB.value, scale) } }

    func withoutBias(_ y: Tensor<Scalar>) -> Tensor<Scalar> { base.bias.map { y - $0.value } ?? y }

    func applyDropout(_ x: Tensor<Scalar>) -> (value: Tensor<Scalar>, isDropped: Bool) {
        guard isTraining, dropoutProbability > 0 else { return (x, false) }
        var generator = RandomGenerator(seed: dropoutSeed, offset: dropoutStep &<< 40)
        return (dropout(x, probability: dropoutProbability, generator: &generator), true)
    }

    static func delta(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>, _ scale: Scalar) -> Tensor<Scalar> {
        withoutGradients { matmul(b.detached, a.detached) * scale }
    }

    /// ‖w_i‖₂ for each row of `w` `[out, in]` → `[out]`.
    static func rowNorms(_ w: Tensor<Scalar>) -> Tensor<Scalar> {
        withoutGradients { w.detached.square().sum(axis: 1).sqrt() }
    }
}
