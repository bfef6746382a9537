// The "NF4" benchmark area (the adapters issue): NF4 quantize / dequantize against triad bandwidth, the fused NF4
// matrix–vector product (decode) and the fused NF4 products of training (forward and input gradient) next to
// sgemm on a float32 weight — at the SmolLM-135M projection shapes. Timed by `nf4-report`, which also measures
// decode tokens/s of the whole quantized model, bits per quantized parameter and the peak memory of a QLoRA step.
//
// Work per call: quantize reads 4 bytes and writes ½ byte (+ the block scales) per weight; dequantize the reverse;
// the matrix–vector product reads the packed weight and its scales once (bytes = packed + 4·blocks); products
// count 2·N·in·out FLOPs.
import SwiftTuneCore
@_exported import WorkloadSupport

public enum NF4Workloads {
    /// SmolLM-135M (torch_anchor.py `--config smol`).
    public static let smolConfiguration = ModelConfiguration(
        architecture: .llama, vocabularySize: 49152, hiddenSize: 576, intermediateSize: 1536, layerCount: 30,
        attentionHeads: 9, keyValueHeads: 3, headDimension: 64, rmsNormEpsilon: 1e-5, ropeTheta: 10_000,
        maxPositions: 2048, tieWordEmbeddings: true)

    /// The projection shapes `[out, in]`: q/o, k/v, gate/up, down.
    public static let shapes: [(out: Int, in: Int)] = [(576, 576), (192, 576), (1536, 576), (576, 1536)]

    public static var all: [Workload] {
        [quantize(count: 1 << 24), dequantize(count: 1 << 24)]
            + shapes.map { matvec(out: $0.out, in: $0.in) }
            + shapes.flatMap { [product(out: $0.out, in: $0.in, nf4: true, backward: false),
                                product(out: $0.out, in: $0.in, nf4: false, backward: false),
                                product(out: $0.out, in: $0.in, nf4: true, backward: true),
                                product(out: $0.out, in: $0.in, nf4: false, backward: true)] }
    }

    static func weight(_ shape: [Int], seed: UInt64, scale: Float = 0.02) -> Tensor<Float> {
        var rng = RandomGenerator(seed: seed)
        return Tensor<Float>.randomNormal(shape, standardDeviation: scale, generator: &rng)
    }

    /// `NF4Weight.quantize(from:)` with double quantization, a `[4096, 4096]` weight.
    public static func quantize(count: Int) -> Workload {
        let blocks = Double(count / NF4Weight.blockSize)
        return Workload(name: "nf4 quantize \(count)", kind: "nf4 quantize", shape: "[\(count / 4096), 4096]",
                        work: .bytes(4 * Double(count) + Double(count) / 2 + blocks)) {
            let w = weight([count / 4096, 4096], seed: 1)
            var result: NF4Weight?
            return Instance(prepare: { consume(result); result = nil }, run: { result = NF4Weight.quantize(from: w) })
        }
    }

    /// `NF4Weight.dequantize()` of the same weight (double-quantized scales expanded first, inside the call).
    public static func dequantize(count: Int) -> Workload {
        let blocks = Double(count / NF4Weight.blockSize)
        return Workload(name: "nf4 dequantize \(count)", kind: "nf4 dequantize", shape: "[\(count / 4096), 4096]",
                        work: .bytes(4 * Double(count) + Double(count) / 2 + blocks)) {
            let q = NF4Weight.quantize(from: weight([count / 4096, 4096], seed: 1))
            let sink = Sink()
            return Instance(prepare: { sink.value = nil }, run: { sink.value = q.dequantize() })
        }
    }

    /// One token through an `NF4Linear` (decode): the fused dequantize–matrix–vector kernel. 30 layers' worth of
    /// weights are cycled so that the weight comes from memory, as in decoding, not from cache.
    public static func matvec(out: Int, in inF: Int) -> Workload {
        let layers = 30
        let bytesPerWeight = Double(out * inF) / 2 + 4 * Double(out * inF / NF4Weight.blockSize)
        return Workload(name: "nf4 matvec \(out)x\(inF)", kind: "nf4 matvec", shape: "x [1, \(inF)], W [\(out), \(inF)] x\(layers)",
                        work: .bytes(bytesPerWeight * Double(layers))) {
            let linears = (0..<layers).map { i in
                NF4Linear(quantizing: Linear(weight: Parameter(weight([out, inF], seed: 10 + UInt64(i)), path: "w\(i)"),
                                             bias: nil))
            }
            let x = weight([1, 1, inF], seed: 2, scale: 1)
            let sink = Sink()
            return Instance(prepare: { sink.value = nil }, run: {
                withoutGradients { for layer in linears { sink.value = layer(x) } }
            })
        }
    }

    /// The training products at 512 tokens: forward `x·Wᵀ` or the input gradient `dy·W` (weight frozen), through
    /// an `NF4Linear` (fused dequantization) or a dense `Linear` (sgemm) on the same shape.
    public static func product(out: Int, in inF: Int, nf4: Bool, backward: Bool) -> Workload {
        let n = 512
        let name = "\(nf4 ? "nf4" : "sgemm") \(backward ? "input gradient" : "forward") 512x\(out)x\(inF)"
        return Workload(name: name, kind: nf4 ? "nf4 product" : "sgemm product", shape: "x [512, \(inF)], W [\(out), \(inF)]",
                        work: .flops(2 * Double(n * out * inF))) {
            let dense = Linear(weight: Parameter(weight([out, inF], seed: 20), path: "w", trainable: false), bias: nil)
            let layer: any LinearLayer<Float> = nf4 ? NF4Linear(quantizing: dense) : dense
            let x = weight([n, inF], seed: 21, scale: 1), dy = weight([n, out], seed: 22, scale: 1)
            var output: Tensor<Float>?
            if !backward {
                return Instance(prepare: { output = nil }, run: { output = withoutGradients { layer(x) } })
            }
            return Instance(
                prepare: {
                    output = nil
                    let leaf = x.requiringGradient()
                    output = withGradients { layer(leaf) }
                },
                run: { output!.backward(dy) })
        }
    }
}
