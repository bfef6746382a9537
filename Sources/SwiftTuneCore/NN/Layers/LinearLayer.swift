/// Anything that maps `[..., in]` to `[..., out]` like a linear layer: a dense ``Linear``, a quantized linear
/// layer, or an adapter (LoRA / DoRA) that wraps one of those by composition.
///
/// Decoder layers hold their projections as `any LinearLayer<Scalar>`, so adapters and quantization replace a
/// projection without the model knowing.
public protocol LinearLayer<Scalar>: Layer {
    var inputFeatures: Int { get }
    var outputFeatures: Int { get }
    /// The parameter path prefix, e.g. `model.layers.0.self_attn.q_proj`.
    var path: String { get }
    /// `[..., in]` → `[..., out]`.
    func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar>
    /// The effective weight `[out, in]` as a dense tensor (dequantized for a quantized layer; for an adapter, its
    /// base's weight) — what DoRA's norm, PiSSA and merging need.
    func denseWeight() -> Tensor<Scalar>
    /// The bias `[out]`, if any.
    var bias: Parameter<Scalar>? { get }
}

/// The projections of a decoder layer, by their Hugging Face module names.
public enum ProjectionName: String, CaseIterable, Codable, Sendable {
    case query = "q_proj", key = "k_proj", value = "v_proj", output = "o_proj"
    case gate = "gate_proj", up = "up_proj", down = "down_proj"
}
