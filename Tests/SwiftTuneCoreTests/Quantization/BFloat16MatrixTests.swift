// BFloat16Matrix (a frozen bf16 table used in float32 products) and a QLoRA model whose tied embedding is stored in
// bf16: lookups and widening are exact; products agree with float32 BLAS on the widened values to summation-order
// rounding (1e-5 relative + 1e-5 absolute; 3e-4 absolute for the 2100-term sums of dy · W); a model with the table in bf16 computes the same loss, LoRA gradients
// and greedy tokens as the same model holding the identical values in float32 (the fixture stores BF16, so the
// conversion loses nothing).
import Foundation
import SwiftTuneCore
import Testing
import TestSupport

@Suite("BFloat16Matrix and bf16 embeddings")
struct BFloat16MatrixTests {
    /// 2100 rows cross the 2048-row widening panel; 27 columns leave a tail after whole 8-float vectors.
    static func matrix() -> (BFloat16Matrix, Tensor<Float>) {
        var rng = RandomGenerator(seed: 5)
        let m = BFloat16Matrix(rounding: Tensor<Float>.randomNormal([2100, 27], generator: &rng))
        return (m, m.storage.converted(to: Float.self))
    }

    @Test func widensAndGathersExactly() {
        let (m, dense) = Self.matrix()
        #expect(m.dense() == dense)
        #expect(BFloat16Matrix.isRepresentable(dense))
        #expect(!BFloat16Matrix.isRepresentable(Tensor<Float>([1.0, 1.0 + 1.0 / 1024])))
        let ids = [0, 2099, 7, 7, 2048]
        let rows = m.rows(ids, shape: [1, 5])
        #expect(rows.shape == [1, 5, 27])
        #expect(rows.reshaped([5, 27]) == dense.indexSelect(axis: 0, indices: ids))
    }

    @Test(arguments: [1, 3, 4, 7, 130])   // ≤ 4 rows: the streaming matrix–vector kernel; more: widened panels + sgemm
    func productsMatchFloatBLAS(rows: Int) {
        let (m, dense) = Self.matrix()
        var rng = RandomGenerator(seed: UInt64(rows))
        let x = Tensor<Float>.randomNormal([rows, 27], generator: &rng)
        let forward = allClose(m.productTransposed(x).doubles, matmul(x, dense, transposeB: true).doubles,
                               rtol: 1e-5, atol: 1e-5)
        #expect(forward.ok, "x · Wᵀ, \(rows) rows: \(forward.report)")
        let dy = Tensor<Float>.randomNormal([rows, 2100], generator: &rng)
        // 2100 products of N(0, 1) terms summed in two panels vs one pass: rounding ~ 6e-8 · √2100 · 45 ≈ 1e-4.
        let backward = allClose(m.product(dy).doubles, matmul(dy, dense).doubles, rtol: 1e-5, atol: 3e-4)
        #expect(backward.ok, "dy · W, \(rows) rows: \(backward.report)")
    }

    static func qloraModel(bf16: Bool) throws -> CausalLanguageModel<Float> {
        let folder = try #require(Bundle.module.url(forResource: "qwen2-bias-tied-bf16", withExtension: nil,
                                                    subdirectory: "Fixtures/models"))
        let model = try CausalLanguageModel<Float>.load(from: folder)
        model.quantizeNF4()
        try model.applyLoRA(LoRAConfiguration(rank: 4, alpha: 8, targetModules: .allLinear), seed: 3)
        for p in model.trainableParameters where p.path.contains("lora_B") {   // non-zero B: every gradient flows
            var rng = RandomGenerator(seed: UInt64(p.path.count))
            p.assign(Tensor<Float>.randomNormal(p.shape, standardDeviation: 0.05, generator: &rng))
        }
        if bf16 { #expect(model.storeFrozenEmbeddingsInBFloat16(), "a BF16 checkpoint's table converts exactly") }
        return model
    }

    @Test func qloraModelWithBFloat16TableMatchesFloatTable() throws {
        let (compact, reference) = (try Self.qloraModel(bf16: true), try Self.qloraModel(bf16: false))
        guard case .frozenBFloat16(let table, let path) = compact.embedTokens.table else {
            Issue.record("the table is not stored in bf16")
            return
        }
        #expect(path == "model.embed_tokens.weight" && compact.embedTokens.weight == nil)
        #expect(table.dense() == reference.embedTokens.denseTable)
        #expect(!compact.parameters.contains { $0.path == path }, "a bf16 table is not a parameter")

        let c = compact.configuration
        let ids = (0..<40).map { ($0 * 29 + 5) % c.vocabularySize }
        let loss = try compact.loss(ids, labels: ids, shape: [2, 20])
        loss.backward()
        let expected = try reference.loss(ids, labels: ids, shape: [2, 20])
        expected.backward()
        #expect(abs(loss.item - expected.item) <= 1e-5 * abs(expected.item), "loss \(loss.item) vs \(expected.item)")
        let grads = Dictionary(uniqueKeysWithValues: reference.trainableParameters.map { ($0.path, $0.grad) })
        for p in compact.trainableParameters {
            let g = try #require(p.grad, "\(p.path): no gradient")
            let want = try #require(grads[p.path] ?? nil, "\(p.path): no reference gradient")
            let check = allClose(g.doubles, want.doubles, rtol: 1e-4, atol: 1e-6)
            #expect(check.ok, "\(p.path): \(check.report)")
        }
        let logits = try withoutGradients { (try compact(ids, shape: [2, 20]), try reference(ids, shape: [2, 20])) }
        let l = allClose(logits.0.doubles, logits.1.doubles, rtol: 1e-5, atol: 1e-5)
        #expect(l.ok, "logits: \(l.report)")
        let prompts = [[1, 2, 3], [7, 8]]
        let expectedIDs = try reference.generate(prompts: prompts, maxNewTokens: 6, stopTokens: [])
        #expect(try compact.generate(prompts: prompts, maxNewTokens: 6, stopTokens: []) == expectedIDs)
    }

    @Test func keepsTrainableOrInexactTablesInFloat() throws {
        let c = ModelConfiguration(vocabularySize: 32, hiddenSize: 16, intermediateSize: 24, layerCount: 1,
                                   attentionHeads: 2, keyValueHeads: 1, tieWordEmbeddings: true)
        let model = CausalLanguageModel<Float>(configuration: c, seed: 2)
        #expect(!model.storeFrozenEmbeddingsInBFloat16(onlyIfExact: false), "a trainable table stays a parameter")
        model.embedTokens.weight?.isTrainable = false
        #expect(!model.storeFrozenEmbeddingsInBFloat16(), "random float32 values are not bf16 values")
        #expect(model.storeFrozenEmbeddingsInBFloat16(onlyIfExact: false), "rounding was asked for")
        #expect(model.embedTokens.weight == nil)
    }
}
