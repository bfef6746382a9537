// NF4Linear and CausalLanguageModel.quantizeNF4(): the layer against a dense Linear holding its dequantized weight
// (forward, input gradient, bias gradient), a finite-difference check of its input gradient, and a Hugging Face
// fixture model (llama-gqa) quantized end to end.
//
// Tolerances: the NF4 products sum in another order than BLAS, so outputs and gradients agree to ~1e-6 relative;
// we allow 1e-4 relative + 1e-5 absolute. The layer is linear in x, so central differences with a large step
// (0.05) carry no truncation error, only float32 rounding of the loss (~1e-6 relative): 2e-3 relative + 2e-3
// absolute. Quantizing a random tiny model changes its loss by well under 1% (checked: 2%).
import Foundation
import SwiftTuneCore
import Testing
import TestSupport

@Suite("NF4Linear and quantizeNF4")
struct NF4LinearTests {
    /// A random dense layer, its NF4 twin, and a dense layer with the dequantized weight and the same bias.
    static func layers(input: Int, output: Int, bias: Bool, seed: UInt64)
        -> (nf4: NF4Linear, dequantized: Linear<Float>) {
        var rng = RandomGenerator(seed: seed)
        let dense = Linear<Float>(inputFeatures: input, outputFeatures: output, bias: bias, path: "test.proj",
                                  generator: &rng)
        let nf4 = NF4Linear(quantizing: dense)
        let reference = Linear(weight: Parameter(nf4.denseWeight(), path: "test.proj.weight", trainable: false),
                               bias: dense.bias)
        return (nf4, reference)
    }

    @Test(arguments: [(13, 7, true), (100, 3, false), (130, 40, true), (64, 96, false)])
    func matchesDenseLayerWithDequantizedWeight(_ shape: (Int, Int, Bool)) throws {
        let (input, output, hasBias) = shape
        let (nf4, reference) = Self.layers(input: input, output: output, bias: hasBias, seed: UInt64(input + output))
        #expect(nf4.inputFeatures == input && nf4.outputFeatures == output && nf4.path == "test.proj")
        #expect(nf4.parameters.count == (hasBias ? 1 : 0), "only the bias is a parameter")
        var rng = RandomGenerator(seed: 3)
        for rows in [[1, 1], [2, 5], [3, 7]] {           // 1 row: the matrix-vector path
            let x = Tensor<Float>.randomNormal(rows + [input], generator: &rng)
            let seed = Tensor<Float>.randomNormal(rows + [output], generator: &rng)
            nf4.zeroGradients()
            let (y, gx) = valueAndGradient(at: [x]) { xs in (nf4(xs[0]) * seed).sum() }
            let biasGradient = nf4.bias?.grad
            nf4.zeroGradients()
            let (yRef, gxRef) = valueAndGradient(at: [x]) { xs in (reference(xs[0]) * seed).sum() }
            let forward = withoutGradients { (nf4(x), reference(x)) }
            #expect(forward.0.shape == rows + [output])
            let f = allClose(forward.0.doubles, forward.1.doubles, rtol: 1e-4, atol: 1e-5)
            #expect(f.ok, "\(shape) rows \(rows) forward: \(f.report)")
            #expect(abs(y.item - yRef.item) <= 1e-4 * abs(yRef.item) + 1e-4, "\(shape) loss")
            let g = allClose(gx[0].doubles, gxRef[0].doubles, rtol: 1e-4, atol: 1e-5)
            #expect(g.ok, "\(shape) rows \(rows) input gradient: \(g.report)")
            if let biasGradient, let expected = reference.bias?.grad {
                let b = allClose(biasGradient.doubles, expected.doubles, rtol: 1e-5, atol: 1e-6)
                #expect(b.ok, "\(shape) bias gradient: \(b.report)")
            } else {
                #expect(!hasBias, "\(shape): the bias should have a gradient")
            }
        }
    }

    /// QLoRA: a LoRA adapter over the NF4 layer (whose ∂x the adapter's backward computes, G · W' + Ĝ · A) against
    /// the same adapter over the dense layer with the dequantized weight.
    @Test func loraOverNF4MatchesLoRAOverDequantizedWeight() throws {
        let (nf4, reference) = Self.layers(input: 96, output: 40, bias: true, seed: 4)
        let configuration = LoRAConfiguration(rank: 4, alpha: 8, initialization: .linearDefault)
        let (q, d) = (try LoRALinear(base: nf4, configuration: configuration, seed: 2),
                      try LoRALinear(base: reference, configuration: configuration, seed: 2))
        var rng = RandomGenerator(seed: 8)
        let b = Tensor<Float>.randomNormal([40, 4], standardDeviation: 0.1, generator: &rng)
        q.loraB.assign(b)
        d.loraB.assign(b)
        let x = Tensor<Float>.randomNormal([3, 5, 96], generator: &rng)
        let seed = Tensor<Float>.randomNormal([3, 5, 40], generator: &rng)
        let (y, gx) = valueAndGradient(at: [x]) { xs in (q(xs[0]) * seed).sum() }
        let (yRef, gxRef) = valueAndGradient(at: [x]) { xs in (d(xs[0]) * seed).sum() }
        #expect(abs(y.item - yRef.item) <= 1e-4 * abs(yRef.item) + 1e-4)
        let g = allClose(gx[0].doubles, gxRef[0].doubles, rtol: 1e-4, atol: 1e-5)
        #expect(g.ok, "input gradient: \(g.report)")
        for (p, r) in zip(q.trainableParameters, d.trainableParameters) {
            let check = allClose(try #require(p.grad).doubles, try #require(r.grad).doubles, rtol: 1e-4, atol: 1e-5)
            #expect(check.ok, "\(p.path): \(check.report)")
        }
    }

    /// Quantizing while loading (one layer's float32 projections at a time) gives the model that loading and then
    /// quantizing gives: the same codes and scales, the same logits.
    @Test func quantizingWhileLoadingEqualsQuantizingAfter() throws {
        let folder = try ModelFolder(try Self.modelFolder())
        let during = try folder.load(Float.self, quantizingProjectionsToNF4: true)
        let after = try folder.load(Float.self)
        #expect(!after.quantizeNF4().isEmpty)
        for (d, a) in zip(during.layers, after.layers) {
            for name in ProjectionName.allCases {
                let (p, q) = (try #require(d.projection(name) as? NF4Linear), try #require(a.projection(name) as? NF4Linear))
                #expect(p.weight.packed == q.weight.packed && p.denseWeight() == q.denseWeight(), "\(p.path)")
            }
        }
        let ids = (0..<12).map { ($0 * 7 + 3) % during.configuration.vocabularySize }
        #expect(try withoutGradients { try during(ids, shape: [1, 12]) == after(ids, shape: [1, 12]) })
    }

    @Test func inputGradientMatchesFiniteDifferences() {
        let (nf4, _) = Self.layers(input: 70, output: 9, bias: true, seed: 11)
        var rng = RandomGenerator(seed: 5)
        let x = Tensor<Float>.randomNormal([4, 70], generator: &rng)
        let r = Tensor<Float>.randomUniform([4, 9], low: 0.5, high: 1.5, generator: &rng)
        let loss: (Tensor<Float>) -> Tensor<Float> = { (nf4($0) * r).sum() }
        let (_, analytic) = valueAndGradient(at: [x]) { loss($0[0]) }
        let step: Float = 0.05
        var numeric = [Double]()
        for i in 0..<x.count {
            var plus = x, minus = x
            plus.withUnsafeMutableScalars { $0[i] += step }
            minus.withUnsafeMutableScalars { $0[i] -= step }
            let (lp, lm) = withoutGradients { (loss(plus).item, loss(minus).item) }
            numeric.append((Double(lp) - Double(lm)) / (2 * Double(step)))
        }
        let check = allClose(analytic[0].doubles, numeric, rtol: 2e-3, atol: 2e-3)
        #expect(check.ok, "analytic vs numeric: \(check.report)")
    }

    @Test func rejectsBadWeights() throws {
        let q = NF4Weight.quantize(from: Tensor<Float>.ones([2, 3, 4]))
        #expect(throws: NF4Error.notAMatrix(path: "p", shape: [2, 3, 4])) { try NF4Linear(weight: q, path: "p") }
        let m = NF4Weight.quantize(from: Tensor<Float>.ones([4, 3]))
        let bias = Parameter(Tensor<Float>.zeros([3]), path: "p.bias")
        #expect(throws: NF4Error.self) { try NF4Linear(weight: m, bias: bias, path: "p") }
    }

    static func modelFolder() throws -> URL {
        try #require(Bundle.module.url(forResource: "llama-gqa", withExtension: nil, subdirectory: "Fixtures/models"))
    }

    @Test func quantizedModelRunsForwardAndBackward() throws {
        let folder = try Self.modelFolder()
        let model = try CausalLanguageModel<Float>.load(from: folder)
        let c = model.configuration
        let ids = (0..<24).map { ($0 * 37 + 11) % c.vocabularySize }
        let shape = [2, 12]
        let denseLoss = try withoutGradients { try model.loss(ids, labels: ids, shape: shape) }.item

        let quantized = model.quantizeNF4()
        #expect(quantized.count == 7 * c.layerCount, "quantized \(quantized)")
        #expect(quantized.first == "model.layers.0.self_attn.q_proj")
        for layer in model.layers {
            for name in ProjectionName.allCases { #expect(layer.projection(name) is NF4Linear, "\(name)") }
        }
        let paths = Set(model.parameters.map(\.path))
        #expect(paths.contains("model.embed_tokens.weight") && paths.contains("model.norm.weight"))
        #expect(paths.contains("lm_head.weight") == !c.tieWordEmbeddings, "lm_head stays a float32 Linear")
        #expect(!paths.contains("model.layers.0.mlp.down_proj.weight"))
        #expect(model.quantizeNF4().isEmpty, "quantizing twice changes nothing")

        // A dense model with exactly the dequantized weights: the quantized model must compute the same function.
        let reference = try CausalLanguageModel<Float>.load(from: folder)
        for (q, d) in zip(model.layers, reference.layers) {
            for name in ProjectionName.allCases {
                let p = q.projection(name)
                d.replaceProjection(name, with: Linear(weight: Parameter(p.denseWeight(), path: p.path + ".weight",
                                                                         trainable: false),
                                                       bias: d.projection(name).bias))
            }
        }
        model.zeroGradients()
        reference.zeroGradients()
        let loss = try model.loss(ids, labels: ids, shape: shape)
        loss.backward()
        let referenceLoss = try reference.loss(ids, labels: ids, shape: shape)
        referenceLoss.backward()

        #expect(loss.item.isFinite)
        #expect(abs(loss.item - referenceLoss.item) <= 1e-4 * abs(referenceLoss.item),
                "loss: NF4 \(loss.item), dense with dequantized weights \(referenceLoss.item)")
        #expect(abs(loss.item - denseLoss) <= 0.02 * abs(denseLoss),
                "loss: NF4 \(loss.item), original float32 \(denseLoss) (tolerance 2%)")
        // Gradients reach everything below the quantized projections (embeddings, norms) and match the dense twin.
        let grads = Dictionary(uniqueKeysWithValues: reference.parameters.compactMap { p in p.grad.map { (p.path, $0) } })
        var compared = 0
        for p in model.parameters {
            guard let g = p.grad else { continue }
            let expected = try #require(grads[p.path], "\(p.path): no dense gradient")
            let check = allClose(g.doubles, expected.doubles, rtol: 1e-3, atol: 1e-5)
            #expect(check.ok, "\(p.path) gradient: \(check.report)")
            compared += 1
        }
        #expect(compared >= 2 * c.layerCount + 2, "compared \(compared) gradients")
        #expect(model.embedTokens.weight?.grad != nil, "the embedding gradient flows through the NF4 projections")
    }
}
