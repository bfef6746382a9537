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
    public let queryProjection: Linear<Scalar>
    public let keyProjection: Linear<Scalar>
    public let valueProjection: Linear<Scalar>
    public let outputProjection: Linear<Scalar>
    public let queryNorm: RMSNorm<Scalar>?
    public let keyNorm: RMSNorm<Scalar>?
    public let postAttentionNorm: RMSNorm<Scalar>
    public let gateProjection: Linear<Scalar>
    public let upProjection: Linear<Scalar>
    public let downProjection: Linear<Scalar>

    /// A randomly initialised layer (N(0, 0.02²) weights as transformers' `_init_weights`, zero biases).
    public init(configuration c: ModelConfiguration, index: Int, generator: inout RandomGenerator) {
        configuration = c
        let prefix = "model.layers.\(index)"
        func linear(_ name: String, _ input: Int, _ output: Int, bias: Bool) -> Linear<Scalar> {
            let w = Parameter(Tensor<Scalar>.randomNormal([output, input], standardDeviation: 0.02, generator: &generator),
                              path: "\(prefix).\(name).weight")
            let b = bias ? Parameter(Tensor<Scalar>.zeros([output]), path: "\(prefix).\(name).bias") : nil
            return Linear(weight: w, bias: b)
        }
        let (C, D, H, KV, I) = (c.hiddenSize, c.headDimension, c.attentionHeads, c.keyValueHeads, c.intermediateSize)
        let qkvBias = c.attentionBias || c.architecture == .qwen2
        inputNorm = RMSNorm(dimension: C, epsilon: c.rmsNormEpsilon, path: "\(prefix).input_layernorm")
        queryProjection = linear("self_attn.q_proj", C, H * D, bias: qkvBias)
        keyProjection = linear("self_attn.k_proj", C, KV * D, bias: qkvBias)
        valueProjection = linear("self_attn.v_proj", C, KV * D, bias: qkvBias)
        outputProjection = linear("self_attn.o_proj", H * D, C, bias: c.attentionBias)
        if c.architecture == .qwen3 {
            queryNorm = RMSNorm(dimension: D, epsilon: c.rmsNormEpsilon, path: "\(prefix).self_attn.q_norm")
            keyNorm = RMSNorm(dimension: D, epsilon: c.rmsNormEpsilon, path: "\(prefix).self_attn.k_norm")
        } else {
            queryNorm = nil
            keyNorm = nil
        }
        postAttentionNorm = RMSNorm(dimension: C, epsilon: c.rmsNormEpsilon, path: "\(prefix).post_attention_layernorm")
        gateProjection = linear("mlp.gate_proj", C, I, bias: c.mlpBias)
        upProjection = linear("mlp.up_proj", C, I, bias: c.mlpBias)
        downProjection = linear("mlp.down_proj", I, C, bias: c.mlpBias)
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
    public func callAsFunction(_ x: Tensor<Scalar>, layout: AttentionLayout, rope: RotaryEmbedding<Scalar>) -> Tensor<Scalar> {
        let c = configuration
        let (B, T) = (x.shape[0], x.shape[1])
        let n1 = inputNorm(x)
        var q = queryProjection(n1).reshaped([B, T, c.attentionHeads, c.headDimension])
        var k = keyProjection(n1).reshaped([B, T, c.keyValueHeads, c.headDimension])
        let v = valueProjection(n1).reshaped([B, T, c.keyValueHeads, c.headDimension])
        if let queryNorm, let keyNorm {
            q = queryNorm(q)
            k = keyNorm(k)
        }
        q = rope(q, positions: layout.positions)
        k = rope(k, positions: layout.positions)
        let context = attention(query: q, key: k, value: v, layout: layout).reshaped([B, T, c.attentionHeads * c.headDimension])
        let h = x + outputProjection(context)
        let n2 = postAttentionNorm(h)
        return h + downProjection(swiglu(gate: gateProjection(n2), up: upProjection(n2)))
    }
}
