import Foundation
@testable import SwiftTuneCore
import Testing
import TestSupport

/// A linear layer that is not a dense `Linear` (stands in for a quantized base).
final class WrappedLinear<Scalar: TensorScalar>: LinearLayer {
    let inner: Linear<Scalar>
    init(_ inner: Linear<Scalar>) { self.inner = inner }
    var inputFeatures: Int { inner.inputFeatures }
    var outputFeatures: Int { inner.outputFeatures }
    var path: String { inner.path }
    var bias: Parameter<Scalar>? { inner.bias }
    var parameters: [Parameter<Scalar>] { inner.parameters }
    func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { inner(x) }
    func denseWeight() -> Tensor<Scalar> { inner.denseWeight() }
}

/// The adapter layer alone: derivatives, initialisation, merging, PiSSA.
@Suite("LoRA layer")
struct LoRALayerTests {
    func linear<Scalar: TensorScalar>(_ type: Scalar.Type, input: Int = 6, output: Int = 5, seed: UInt64 = 1) -> Linear<Scalar> {
        var g = RandomGenerator(seed: seed)
        return Linear<Scalar>(inputFeatures: input, outputFeatures: output, bias: true, path: "model.layers.0.mlp.up_proj", generator: &g)
    }

    /// Finite differences of the adapter's output with respect to x, A, B and m, in Double. DoRA's row norm is held
    /// at its value for the unperturbed factors, as backward treats it (DoRA §4.3).
    @Test(arguments: [(false, 0.0), (true, 0.0), (false, 0.4), (true, 0.4)])
    func finiteDifferenceGradients(_ dora: Bool, _ dropout: Double) throws {
        let adapter = try LoRALinear(base: linear(Double.self),
                                     configuration: LoRAConfiguration(rank: 3, alpha: 5, dropout: dropout, useDoRA: dora,
                                                                      initialization: .linearDefault),
                                     seed: 9)
        adapter.dropoutStep = 2
        if let m = adapter.magnitude { m.assign(m.value * randomDoubles([5], seed: 3, low: 0.7, high: 1.3)) }
        let norm = dora ? adapter.weightNorm() : nil
        var inputs = [randomDoubles([2, 3, 6], seed: 5), adapter.loraA.value, adapter.loraB.value]
        if let m = adapter.magnitude { inputs.append(m.value) }
        let failure = GradientCheck().failure(inputs: inputs) { xs in
            adapter.output(xs[0], a: xs[1], b: xs[2], magnitude: dora ? xs[3] : nil, norm: norm)
        }
        #expect(failure == nil, "\(dora ? "DoRA" : "LoRA") dropout \(dropout): \(failure ?? "")")
        // The layer's own forward is that function.
        let x = inputs[0]
        #expect(adapter(x) == adapter.output(x, a: inputs[1], b: inputs[2], magnitude: adapter.magnitude?.value, norm: norm))
    }

    @Test func dropoutMasksAreReproducibleAndOffInEvaluation() throws {
        let adapter = try LoRALinear(base: linear(Float.self), configuration: LoRAConfiguration(rank: 2, dropout: 0.5, initialization: .linearDefault), seed: 2)
        let x = Tensor<Float>.ones([4, 6])
        let first = adapter(x), again = adapter(x)
        #expect(first == again, "a recomputed pass (gradient checkpointing) must see the same mask")
        adapter.dropoutStep = 1
        #expect(adapter(x) != first)
        adapter.isTraining = false
        let evaluation = adapter(x)
        let reference = adapter.base(x) + matmul(matmul(x, adapter.loraA.value, transposeB: true), adapter.loraB.value, transposeB: true) * adapter.scale
        #expect(maxAbsoluteDifference(evaluation.scalars, reference.scalars).value < 1e-5)
    }

    @Test func initialisationsFollowPEFT() throws {
        for initialization in [LoRAConfiguration.Initialization.kaimingUniform, .gaussian] {
            for dora in [false, true] {
                let base = linear(Float.self, input: 400, output: 9)   // rank 8 ≤ min(in, out)
                let adapter = try LoRALinear(base: base, configuration: LoRAConfiguration(rank: 8, alpha: 16, useDoRA: dora,
                                                                                          initialization: initialization), seed: 4)
                #expect(adapter.loraB.value == .zeros([9, 8]), "B starts at zero")
                let a = adapter.loraA.value.doubles
                if initialization == .kaimingUniform {
                    // kaiming_uniform_(a=√5): U(±1/√in); the variance of U(±b) is b²/3.
                    let bound = 1 / 400.0.squareRoot()
                    #expect(a.allSatisfy { Swift.abs($0) <= bound } && a.map(Swift.abs).max()! > 0.95 * bound)
                    let variance = a.map { $0 * $0 }.reduce(0, +) / Double(a.count)
                    #expect(Swift.abs(variance / (bound * bound / 3) - 1) < 0.1, "variance \(variance)")
                } else {
                    let std = (a.map { $0 * $0 }.reduce(0, +) / Double(a.count)).squareRoot()
                    #expect(Swift.abs(std - 1.0 / 8) < 0.01, "gaussian std \(std), PEFT's 1/r = 0.125")
                }
                if let m = adapter.magnitude {
                    let w = base.weight.value
                    let norms = (0..<9).map { i in (0..<400).map { j in Double(w[i, j] * w[i, j]) }.reduce(0, +).squareRoot() }
                    expectClose(m.value, norms, rtol: 1e-5, atol: 0, "DoRA magnitude = ‖W‖ per row")
                }
                let x = randomDoubles([3, 400], seed: 8).converted(to: Float.self)
                #expect(maxAbsoluteDifference(adapter(x).scalars, base(x).scalars).value < 1e-5, "B = 0: output unchanged")
                #expect(base.parameters.allSatisfy { !$0.isTrainable })
                #expect(adapter.parameters.filter(\.isTrainable).count == (dora ? 3 : 2))
            }
        }
        let rs = try LoRALinear(base: linear(Float.self), configuration: LoRAConfiguration(rank: 4, alpha: 8, useRSLoRA: true), seed: 1)
        #expect(rs.scale == 4)   // α / √r
        let plain = try LoRALinear(base: linear(Float.self), configuration: LoRAConfiguration(rank: 4, alpha: 8), seed: 1)
        #expect(plain.scale == 2)   // α / r
    }

    @Test(arguments: [false, true])
    func mergeEqualsUnmergedAndUnmergeRestores(_ dora: Bool) throws {
        let model = try LoRAFixtures.baseModel()
        let original = model.parameters.map { $0.value.scalars }
        let adapters = try model.applyLoRA(LoRAConfiguration(rank: 4, alpha: 8, useDoRA: dora), seed: 6)
        LoRAFixtures.perturb(adapters, seed: 7)
        let ids = [5, 17, 33, 2, 90, 41, 8, 63], shape = [1, 8]
        let unmerged = try withoutGradients { try model(ids, shape: shape) }
        try model.mergeLoRA()
        #expect(adapters.allSatisfy { $0.isMerged })
        let merged = try withoutGradients { try model(ids, shape: shape) }
        expectClose(merged, unmerged.doubles, rtol: 1e-4, atol: 1e-4, "merged vs unmerged logits")
        try model.unmergeLoRA()
        let basePaths = Set(adapters.map { $0.path + ".weight" })
        for (parameter, before) in zip(model.parameters.filter { !$0.path.hasPrefix("base_model") }, original) {
            let tolerance = basePaths.contains(parameter.path) ? 1e-5 : 0
            #expect(maxAbsoluteDifference(parameter.value.scalars, before).value <= tolerance, "\(parameter.path) restored")
        }
        expectClose(try withoutGradients { try model(ids, shape: shape) }, unmerged.doubles, rtol: 1e-5, atol: 1e-5, "after unmerge")

        // A plain model with the adapters folded in.
        try model.mergeAndUnloadLoRA()
        #expect(model.loraAdapters.isEmpty)
        #expect(model.layers.allSatisfy { layer in ProjectionName.allCases.allSatisfy { layer.projection($0) is Linear<Float> } })
        #expect(model.parameters.count == original.count)
        expectClose(try withoutGradients { try model(ids, shape: shape) }, unmerged.doubles, rtol: 1e-4, atol: 1e-4, "merged and unloaded")
    }

    @Test func mergingAndPiSSANeedADenseBase() throws {
        let wrapped = WrappedLinear(linear(Float.self))
        let adapter = try LoRALinear(base: wrapped, configuration: LoRAConfiguration(rank: 2), seed: 1)
        #expect(throws: LoRAError.requiresDenseBase(module: wrapped.path, operation: "merging")) { try adapter.merge() }
        #expect(throws: LoRAError.requiresDenseBase(module: wrapped.path, operation: "PiSSA initialisation")) {
            try LoRALinear(base: WrappedLinear(linear(Float.self)), configuration: LoRAConfiguration(rank: 2, initialization: .pissa), seed: 1)
        }
        // DoRA over a non-dense base works (the norm comes from denseWeight()).
        let dora = try LoRALinear(base: WrappedLinear(linear(Float.self)), configuration: LoRAConfiguration(rank: 2, useDoRA: true), seed: 1)
        let x = Tensor<Float>.ones([2, 6])
        #expect(maxAbsoluteDifference(dora(x).scalars, dora.base(x).scalars).value < 1e-5)
    }

    @Test(arguments: [false, true])
    func pissaLeavesTheInitialForwardUnchanged(_ dora: Bool) throws {
        let model = try LoRAFixtures.baseModel()
        let ids = [5, 17, 33, 2, 90, 41, 8, 63], shape = [1, 8]
        let before = try withoutGradients { try model(ids, shape: shape) }
        let weights = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.path, $0.value.scalars) })
        let adapters = try model.applyLoRA(LoRAConfiguration(rank: 4, alpha: 8, useDoRA: dora, initialization: .pissa), seed: 1)
        let after = try withoutGradients { try model(ids, shape: shape) }
        expectClose(after, before.doubles, rtol: 1e-4, atol: 1e-4, "PiSSA initial logits")
        for adapter in adapters {
            let dense = try #require(adapter.base as? Linear<Float>)
            let w = try #require(weights[dense.weight.path]).map(Double.init)
            let residual = dense.weight.value.doubles, principal = adapter.deltaWeight().doubles
            // W = residual + s·B·A, and the split is orthogonal (Pythagoras in the Frobenius norm) only when s·B·A is
            // the SVD's top-r part; it then holds at least r / min(out, in) of ‖W‖².
            let (ww, rr, pp) = (w.map { $0 * $0 }.reduce(0, +), residual.map { $0 * $0 }.reduce(0, +),
                                principal.map { $0 * $0 }.reduce(0, +))
            #expect(maxAbsoluteDifference(zip(residual, principal).map { $0 + $1 }, w).value < 1e-5, "\(adapter.path): W = W_res + s·B·A")
            #expect(Swift.abs(rr + pp - ww) < 1e-4 * ww, "\(adapter.path): ‖W_res‖² + ‖sBA‖² = \(rr + pp), ‖W‖² = \(ww)")
            let k = Double(min(adapter.inputFeatures, adapter.outputFeatures))
            #expect(pp >= 4 / k * ww * 0.999 && pp < ww, "\(adapter.path): top-4 energy \(pp / ww)")
            // PEFT's factor scaling: s·B·A with √(S/s) in both factors, so A's rows have squared norms σᵢ / s.
            let a = adapter.loraA.value
            let rowEnergy = (0..<4).map { i in (0..<adapter.inputFeatures).map { j in Double(a[i, j] * a[i, j]) }.reduce(0, +) }
            #expect(zip(rowEnergy, rowEnergy.dropFirst()).allSatisfy { $0 >= $1 * 0.9999 }, "descending σ: \(rowEnergy)")
            #expect(Swift.abs(rowEnergy.reduce(0, +) * 2 - principalNuclearNorm(principal, adapter)) < 1e-3 * rowEnergy.reduce(0, +) * 2)
        }
    }

    /// Σ σᵢ of s·B·A from its Gram matrix trace of √: for the rank-r product, Σσᵢ = tr(√(M·Mᵀ)); computed here by
    /// the SVD bridge (in Double) — a separate path from the factors.
    func principalNuclearNorm(_ m: [Double], _ adapter: LoRALinear<Float>) -> Double {
        let svd = Kernels.singularValueDecomposition(m, rows: adapter.outputFeatures, columns: adapter.inputFeatures)!
        return svd.s.reduce(0, +)
    }

    @Test func singularValueDecompositionReconstructs() throws {
        let (m, n) = (7, 4)
        let a = randomDoubles([m, n], seed: 12).scalars
        let svd = try #require(Kernels.singularValueDecomposition(a, rows: m, columns: n))
        var rebuilt = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for k in 0..<n { rebuilt[i * n + j] += svd.u[i * n + k] * svd.s[k] * svd.vt[k * n + j] } } }
        #expect(maxAbsoluteDifference(rebuilt, a).value < 1e-12)
        #expect(zip(svd.s, svd.s.dropFirst()).allSatisfy { $0 >= $1 } && svd.s.last! >= 0)
    }

    @Test func baseWeightsGetNoGradient() throws {
        let model = try LoRAFixtures.baseModel()
        let adapters = try model.applyLoRA(LoRAConfiguration(rank: 4, alpha: 8, useDoRA: true), seed: 2)
        let trainable = Set(model.trainableParameters.map(\.path))
        #expect(trainable == Set(adapters.flatMap(\.adapterParameters).map(\.path)))
        #expect(trainable.count == 14 * 3)
        let ids = [5, 17, 33, 2, 90, 41, 8, 63]
        try model.loss(ids, labels: ids, shape: [1, 8]).backward()
        for parameter in model.parameters {
            if trainable.contains(parameter.path) {
                // B starts at zero, so only B (and m) get a nonzero gradient at first.
                #expect(parameter.grad != nil, "\(parameter.path)")
            } else {
                #expect(parameter.grad == nil && !parameter.value.requiresGradient, "\(parameter.path) must stay frozen")
            }
        }
        #expect(adapters.allSatisfy { $0.loraB.grad!.scalars.contains { $0 != 0 } })
    }
}
