/// One Llama-family decoder layer (pre-norm):
///
///     h = x + o_proj(attention(rope(q_proj(n₁)), rope(k_proj(n₁)), v_proj(n₁))),  n₁ = input_layernorm(x)
///     y = h + down_proj(silu(gate_proj(n₂)) · up_proj(n₂)),                     n₂ = post_attention_layernorm(h)
///
/// Shapes: x, y `[B, T, C]`; q `[B, T, H, D]`; k, v `[B, T, KV, D]`. Qwen3 adds an RMSNorm over D on each
/// query and key head before RoPE (`q_norm`, `k_norm`).
public final class DecoderLayer<Scalar: TensorScalar>: Layer {
    public let configuration: ModelConfiguration
    public let inputNorm: RMSNorm<Scalar>
    public internal(set) var queryProjection: any LinearLayer<Scalar>
    public internal(set) var keyProjection: any LinearLayer<Scalar>
    public internal(set) var valueProjection: any LinearLayer<Scalar>
    public internal(set) var outputProjection: any LinearLayer<Scalar>
    public let queryNorm: RMSNorm<Scalar>?
    public let keyNorm: RMSNorm<Scalar>?
    public let postAttentionNorm: RMSNorm<Scalar>
    public internal(set) var gateProjection: any LinearLayer<Scalar>
    public internal(set) var upProjection: any LinearLayer<Scalar>
    public internal(set) var downProjection: any LinearLayer<Scalar>

    /// A layer whose weights come from `weights` (random, or a checkpoint).
    public init(configuration c: ModelConfiguration, index: Int, weights: some WeightSource) throws {
        configuration = c
        let prefix = "model.layers.\(index)"
        func linear(_ name: String, _ input: Int, _ output: Int, bias: Bool) throws -> any LinearLayer<Scalar> {
            let b = bias ? Parameter(try weights.weight("\(prefix).\(name).bias", shape: [output], role: .bias,
                                                       as: Scalar.self), path: "\(prefix).\(name).bias") : nil
            let path = "\(prefix).\(name).weight"
            // A pre-quantized weight (bitsandbytes' layout) becomes an NF4Linear as stored; the weight source has
            // checked that Scalar is Float, so the casts hold.
            if let q = try weights.quantizedWeight(path, shape: [output, input], as: Scalar.self) {
                guard Scalar.self == Float.self else {
                    throw BitsAndBytesError.quantizedWeightNeedsFloat(file: "\(type(of: weights))", tensor: path,
                                                                       scalar: "\(Scalar.self)")
                }
                let layer = try NF4Linear(weight: q, bias: b.map { $0 as! Parameter<Float> }, path: "\(prefix).\(name)")
                return layer as! any LinearLayer<Scalar>
            }
            let w = Parameter(try weights.weight(path, shape: [output, input], role: .linear, as: Scalar.self), path: path)
            return Linear(weight: w, bias: b)
        }
        func norm(_ name: String, _ dimension: Int) throws -> RMSNorm<Scalar> {
            RMSNorm(weight: Parameter(try weights.weight("\(prefix).\(name).weight", shape: [dimension], role: .normScale,
                                                         as: Scalar.self), path: "\(prefix).\(name).weight"),
                    epsilon: c.rmsNormEpsilon)
        }
        let (C, D, H, KV, I) = (c.hiddenSize, c.headDimension, c.attentionHeads, c.keyValueHeads, c.intermediateSize)
        let qkvBias = c.attentionBias || c.architecture == .qwen2
        inputNorm = try norm("input_layernorm", C)
        queryProjection = try linear("self_attn.q_proj", C, H * D, bias: qkvBias)
        keyProjection = try linear("self_attn.k_proj", C, KV * D, bias: qkvBias)
        valueProjection = try linear("self_attn.v_proj", C, KV * D, bias: qkvBias)
        outputProjection = try linear("self_attn.o_proj", H * D, C, bias: c.attentionBias)
        if c.architecture == .qwen3 {
            queryNorm = try norm("self_attn.q_norm", D)
            keyNorm = try norm("self_attn.k_norm", D)
        } else {
            queryNorm = nil
            keyNorm = nil
        }
        postAttentionNorm = try norm("post_attention_layernorm", C)
        gateProjection = try linear("mlp.gate_proj", C, I, bias: c.mlpBias)
        upProjection = try linear("mlp.up_proj", C, I, bias: c.mlpBias)
        downProjection = try linear("mlp.down_proj", I, C, bias: c.mlpBias)
    }

    /// The projection called `name`.
    public func projection(_ name: ProjectionName) -> any LinearLayer<Scalar> {
        switch name {
        case .query: return queryProjection
        case .key: return keyProjection
        case .value: return valueProjection
        case .output: return outputProjection
        case .gate: return gateProjection
        case .up: return upProjection
        case .down: return downProjection
        }
    }

    /// Replaces the projection called `name` (with an adapter or a quantized layer of the same shape).
    public func replaceProjection(_ name: ProjectionName, with layer: any LinearLayer<Scalar>) {
        let old = projection(name)
        precondition(layer.inputFeatures == old.inputFeatures && layer.outputFeatures == old.outputFeatures,
                     "\(old.path): replacement maps \(layer.inputFeatures)→\(layer.outputFeatures), expected \(old.inputFeatures)→\(old.outputFeatures)")
        switch name {
        case .query: queryProjection = layer
        case .key: keyProjection = layer
        case .value: valueProjection = layer
        case .output: outputProjection = layer
        case .gate: gateProjection = layer
        case .up: upProjection = layer
        case .down: downProjection = layer
        }
    }

    public var parameters: [Parameter<Scalar>] {
        var all = inputNorm.parameters + queryProjection.parameters + keyProjection.parameters
            + valueProjection.parameters + outputProjection.parameters
        if let queryNorm, let keyNorm { all += queryNorm.parameters + keyNorm.parameters }
        return all + postAttentionNorm.parameters + gateProjection.parameters + upProjection.parameters
            + downProjection.parameters
    }

    /// - Parameters:
    ///   - x: `[B, T, C]`.
    ///   - layout: the rows' segments (its positions are the RoPE positions).
    ///   - rope: the model's rotary tables.
    /// - Returns: `[B, T, C]`.
    public func callAsFunction(_ x: Tensor<Scalar>, layout: AttentionLayout, rope: RotaryEmbedding<Scalar>) -> Tensor<Scalar> {
        let (q, k, v) = attentionInputs(x, positions: layout.positions, rope: rope)
        return attentionOutput(x, context: attention(query: q, key: k, value: v, layout: layout))
    }

    /// Queries `[B, T, H, D]`, keys and values `[B, T, KV, D]` of `x`, with q/k norms and RoPE applied.
    func attentionInputs(_ x: Tensor<Scalar>, positions: [Int], rope: RotaryEmbedding<Scalar>)
        -> (Tensor<Scalar>, Tensor<Scalar>, Tensor<Scalar>) {
        let n1 = inputNorm(x)
        return headsWithRoPE(queryProjection(n1), keyProjection(n1), valueProjection(n1), positions: positions, rope: rope)
    }

    /// The q/k/v projections `[B, T, ·]` split into heads, with q/k norms (Qwen3) and RoPE applied.
    func headsWithRoPE(_ qProjected: Tensor<Scalar>, _ kProjected: Tensor<Scalar>, _ vProjected: Tensor<Scalar>,
                       positions: [Int], rope: RotaryEmbedding<Scalar>) -> (Tensor<Scalar>, Tensor<Scalar>, Tensor<Scalar>) {
        let c = configuration
        let (B, T) = (qProjected.shape[0], qProjected.shape[1])
        var q = qProjected.reshaped([B, T, c.attentionHeads, c.headDimension])
        var k = kProjected.reshaped([B, T, c.keyValueHeads, c.headDimension])
        let v = vProjected.reshaped([B, T, c.keyValueHeads, c.headDimension])
        if let queryNorm, let keyNorm {
            q = queryNorm(q)
            k = keyNorm(k)
        }
        return (rope(q, positions: positions), rope(k, positions: positions), v)
    }

    /// The residual stream after attention (`context` `[B, T, H, D]`) and the MLP.
    func attentionOutput(_ x: Tensor<Scalar>, context: Tensor<Scalar>) -> Tensor<Scalar> {
        let h = residualAfterAttention(x, context: context)
        let n2 = postAttentionNorm(h)
        return h + downProjection(swiglu(gate: gateProjection(n2), up: upProjection(n2)))
    }

    /// `x + o_proj(context)`.
    func residualAfterAttention(_ x: Tensor<Scalar>, context: Tensor<Scalar>) -> Tensor<Scalar> {
        let (B, T) = (x.shape[0], x.shape[1])
        return x + outputProjection(context.reshaped([B, T, configuration.attentionHeads * configuration.headDimension]))
    }
}
