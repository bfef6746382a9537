// The "Attention" benchmark area: SwiftTuneCore's tiled attention kernel (forward + backward) against a dense
// masked-softmax reference, and packed rows against separate rows and padded batches — defined once and timed by
// the ordo-one/benchmark suite `AttentionBenchmarks` and the plain-clock `attention-report`.
//
// Shape: SmolLM-135M's attention (9 query heads, 3 KV heads, head dim 64), batch 1 unless stated.
// Each timed call is forward and backward: `attention(...)` inside `withGradients`, then `backward(dOut)` into
// fresh Q, K, V leaves (made in the untimed `prepare`).
//
// Work per call: the useful FLOPs, 2·D multiply-adds per visible (query, key) pair and head for each of the seven
// products of FlashAttention-2 (forward Q·Kᵀ and P·V; backward recomputes Q·Kᵀ, then dV, dP, dQ, dK), i.e.
// 14·D·H·pairs. Pairs hidden by the mask are not counted; the dense reference computes them anyway, so its rate
// on this measure is lower by the fraction it wastes.
import SwiftTuneCore
@_exported import WorkloadSupport

public enum AttentionWorkloads {
    public static let heads = 9
    public static let keyValueHeads = 3
    public static let headDimension = 64
    /// Sequence lengths of the kernel-vs-dense comparison.
    public static let lengths = [512, 2048, 8192]
    /// The mixed-length set of the packing comparison: 8 samples, 2048 tokens, longest 512.
    public static let mixedLengths = [512, 384, 320, 256, 224, 160, 128, 64]

    /// The kernel-vs-dense comparison at every length (dense only up to `denseLimit`), then the packing set.
    public static func all(denseLimit: Int = 8192) -> [Workload] {
        lengths.flatMap { t in [tiled(length: t)] + (t <= denseLimit ? [dense(length: t)] : []) } + packingSet + layerSet
    }

    /// Attention alone on the mixed-length set, four ways.
    public static var packingSet: [Workload] {
        [packed(), separate(), padded(skippingPadding: true), padded(skippingPadding: false)]
    }

    /// One SmolLM-135M decoder layer (frozen weights, as under LoRA) on the mixed-length set, three ways: what
    /// the batching choice costs once the projections and MLP see the padding too.
    public static var layerSet: [Workload] {
        [layer(.packed), layer(.separate), layer(.padded)]
    }

    static func randomInputs(rows: Int, length: Int, seed: UInt64) -> (q: Tensor<Float>, k: Tensor<Float>, v: Tensor<Float>, dOut: Tensor<Float>) {
        var rng = RandomGenerator(seed: seed)
        let q = Tensor<Float>.randomNormal([rows, length, heads, headDimension], generator: &rng)
        let k = Tensor<Float>.randomNormal([rows, length, keyValueHeads, headDimension], generator: &rng)
        let v = Tensor<Float>.randomNormal([rows, length, keyValueHeads, headDimension], generator: &rng)
        let dOut = Tensor<Float>.randomNormal([rows, length, heads, headDimension], generator: &rng)
        return (q, k, v, dOut)
    }

    static func flops(pairs: Int) -> Double { 14 * Double(headDimension * heads) * Double(pairs) }
    static func causalPairs(_ t: Int) -> Int { t * (t + 1) / 2 }

    /// Forward + backward of `attention` on fresh leaves; `body` maps the leaves to the output.
    static func fwdBwd(_ inputs: (q: Tensor<Float>, k: Tensor<Float>, v: Tensor<Float>, dOut: Tensor<Float>),
                       _ body: @escaping (Tensor<Float>, Tensor<Float>, Tensor<Float>) -> Tensor<Float>) -> Instance {
        var leaves: (Tensor<Float>, Tensor<Float>, Tensor<Float>)?
        return Instance(
            prepare: {
                leaves = nil
                leaves = (inputs.q.requiringGradient(), inputs.k.requiringGradient(), inputs.v.requiringGradient())
            },
            run: {
                let (q, k, v) = leaves!
                let out = withGradients { body(q, k, v) }
                out.backward(inputs.dOut)
            })
    }

    /// The tiled kernel on one causal row of length T.
    public static func tiled(length t: Int) -> Workload {
        Workload(name: "attention fwd+bwd T=\(t)", kind: "tiled", shape: "B=1 T=\(t) H=\(heads) KV=\(keyValueHeads) D=\(headDimension)",
                 work: .flops(flops(pairs: causalPairs(t)))) {
            fwdBwd(randomInputs(rows: 1, length: t, seed: UInt64(t))) { q, k, v in attention(query: q, key: k, value: v) }
        }
    }

    /// The dense reference, written as PyTorch's math path is: K and V repeated to H heads, scores = Q·Kᵀ/√D plus
    /// an additive causal mask `[1, 1, T, T]` (0 or −∞, built once, untimed), softmax over keys, P·V. Every
    /// intermediate is `[1, H, T, T]` and autograd keeps what backward needs.
    public static func dense(length t: Int) -> Workload {
        Workload(name: "dense attention fwd+bwd T=\(t)", kind: "dense", shape: "B=1 T=\(t) H=\(heads) KV=\(keyValueHeads) D=\(headDimension)",
                 work: .flops(flops(pairs: causalPairs(t)))) {
            let mask = Tensor<Float>(shape: [1, 1, t, t]) { out in
                for i in 0..<t { for j in 0..<t { out[i * t + j] = j <= i ? 0 : -Float.infinity } }
            }
            let group = heads / keyValueHeads
            let headMap = (0..<heads).map { $0 / group }
            let scale = 1 / Float(headDimension).squareRoot()
            return fwdBwd(randomInputs(rows: 1, length: t, seed: UInt64(t))) { q, k, v in
                let qh = q.permuted([0, 2, 1, 3])
                let kh = k.indexSelect(axis: 2, indices: headMap).permuted([0, 2, 1, 3])
                let vh = v.indexSelect(axis: 2, indices: headMap).permuted([0, 2, 1, 3])
                let probabilities = softmax(matmul(qh, kh, transposeB: true).scaled(by: scale) + mask)
                return matmul(probabilities, vh).permuted([0, 2, 1, 3])
            }
        }
    }

    static var mixedPairs: Int { mixedLengths.reduce(0) { $0 + causalPairs($1) } }
    static var mixedDescription: String { mixedLengths.map(String.init).joined(separator: ",") }

    /// The 8 samples packed into one row of 2048 (segment ids from cumulative lengths; positions restart).
    public static func packed() -> Workload {
        let total = mixedLengths.reduce(0, +)
        return Workload(name: "packed 1x\(total) (8 samples)", kind: "packed", shape: "lengths \(mixedDescription)",
                        work: .flops(flops(pairs: mixedPairs))) {
            let layout = try! AttentionLayout(segmentLengths: [mixedLengths], length: total)
            return fwdBwd(randomInputs(rows: 1, length: total, seed: 21)) { q, k, v in
                attention(query: q, key: k, value: v, layout: layout)
            }
        }
    }

    /// The 8 samples as 8 separate causal rows, one call each (what packing should match).
    public static func separate() -> Workload {
        Workload(name: "separate 8 rows", kind: "separate", shape: "lengths \(mixedDescription)",
                 work: .flops(flops(pairs: mixedPairs))) {
            let rows = mixedLengths.enumerated().map { randomInputs(rows: 1, length: $0.element, seed: 30 + UInt64($0.offset)) }
            var leaves: [(Tensor<Float>, Tensor<Float>, Tensor<Float>)] = []
            return Instance(
                prepare: {
                    leaves = rows.map { ($0.q.requiringGradient(), $0.k.requiringGradient(), $0.v.requiringGradient()) }
                },
                run: {
                    for (row, (q, k, v)) in zip(rows, leaves) {
                        let out = withGradients { attention(query: q, key: k, value: v) }
                        out.backward(row.dOut)
                    }
                })
        }
    }

    /// The 8 samples right-padded to the longest (8×512). `skippingPadding`: the padding layout (padded queries
    /// see nothing, padded keys are hidden, so the kernel skips their tiles); otherwise plain causal rows, the work
    /// a kernel that applies a padding mask without skipping (SDPA with an `attn_mask`) does.
    public static func padded(skippingPadding: Bool) -> Workload {
        let longest = mixedLengths.max()!
        let rows = mixedLengths.count
        let name = skippingPadding ? "padded \(rows)x\(longest), pad tiles skipped" : "padded \(rows)x\(longest), pads computed"
        return Workload(name: name, kind: skippingPadding ? "padded" : "padded-dense", shape: "lengths \(mixedDescription)",
                        work: .flops(flops(pairs: mixedPairs))) {
            let layout = skippingPadding
                ? try! AttentionLayout.padded(lengths: mixedLengths, length: longest)
                : AttentionLayout.causal(batchSize: rows, length: longest)
            return fwdBwd(randomInputs(rows: rows, length: longest, seed: 40)) { q, k, v in
                attention(query: q, key: k, value: v, layout: layout)
            }
        }
    }

    public enum Batching: String { case packed, separate, padded }

    /// SmolLM-135M's shape (hidden 576, MLP 1536, 9/3 heads of 64), one decoder layer with frozen random weights.
    public static let smolLayerConfiguration = ModelConfiguration(
        architecture: .llama, vocabularySize: 49152, hiddenSize: 576, intermediateSize: 1536, layerCount: 1,
        attentionHeads: heads, keyValueHeads: keyValueHeads, headDimension: headDimension, rmsNormEpsilon: 1e-5,
        ropeTheta: 10_000, maxPositions: 2048, tieWordEmbeddings: true)

    /// One decoder layer forward + backward (to its input; weights frozen) over the mixed-length set.
    public static func layer(_ batching: Batching) -> Workload {
        let c = smolLayerConfiguration
        let total = mixedLengths.reduce(0, +), longest = mixedLengths.max()!
        let perToken = 2.0 * 2 * Double(c.hiddenSize * (2 * heads * headDimension + 2 * keyValueHeads * headDimension)
            + 3 * c.hiddenSize * c.intermediateSize)   // forward + input-gradient products, per real token
        let name: String
        switch batching {
        case .packed: name = "layer packed 1x\(total)"
        case .separate: name = "layer separate 8 rows"
        case .padded: name = "layer padded 8x\(longest)"
        }
        return Workload(name: name, kind: "layer-\(batching.rawValue)", shape: "SmolLM-135M layer, lengths \(mixedDescription)",
                        work: .flops(perToken * Double(total) + flops(pairs: mixedPairs) * 10 / 14)) {
            let layer = try! DecoderLayer<Float>(configuration: c, index: 0, weights: RandomWeights(seed: 5))
            layer.parameters.forEach { $0.isTrainable = false }
            let rope = RotaryEmbedding<Float>(configuration: c)
            var rng = RandomGenerator(seed: 50)
            let jobs: [(x: Tensor<Float>, dy: Tensor<Float>, layout: AttentionLayout)]
            switch batching {
            case .packed:
                jobs = [(Tensor.randomNormal([1, total, c.hiddenSize], generator: &rng),
                         Tensor.randomNormal([1, total, c.hiddenSize], generator: &rng),
                         try! AttentionLayout(segmentLengths: [mixedLengths], length: total))]
            case .separate:
                jobs = mixedLengths.map { n in
                    (Tensor.randomNormal([1, n, c.hiddenSize], generator: &rng),
                     Tensor.randomNormal([1, n, c.hiddenSize], generator: &rng), AttentionLayout.causal(batchSize: 1, length: n))
                }
            case .padded:
                jobs = [(Tensor.randomNormal([mixedLengths.count, longest, c.hiddenSize], generator: &rng),
                         Tensor.randomNormal([mixedLengths.count, longest, c.hiddenSize], generator: &rng),
                         try! AttentionLayout.padded(lengths: mixedLengths, length: longest))]
            }
            var leaves: [Tensor<Float>] = []
            return Instance(
                prepare: { leaves = jobs.map { $0.x.requiringGradient() } },
                run: {
                    for (job, x) in zip(jobs, leaves) {
                        let y = withGradients { layer(x, layout: job.layout, rope: rope) }
                        y.backward(job.dy)
                    }
                })
        }
    }
}
