import SwiftTuneCore
import Testing
import TestSupport

@Suite("Autograd")
struct AutogradTests {
    @Test func frozenWeightsGetNoGradient() {
        var rng = RandomGenerator(seed: 1)
        let frozen = Tensor<Float>.randomNormal([4, 3], generator: &rng)
        let trained = Tensor<Float>.randomNormal([4, 3], generator: &rng).requiringGradient()
        let x = Tensor<Float>.randomNormal([2, 3], generator: &rng)
        let loss = (matmul(x, frozen, transposeB: true) + matmul(x, trained, transposeB: true)).square().sum()
        #expect(!frozen.requiresGradient)
        loss.backward()
        #expect(frozen.grad == nil)
        #expect(trained.grad?.shape == [4, 3])
    }

    @Test func gradientsAccumulateUntilZeroed() {
        let w = Tensor<Double>([1, 2, 3]).requiringGradient()
        (w * w).sum().backward()
        (w * w).sum().backward()
        #expect(w.grad!.scalars == [4, 8, 12])
        w.zeroGradient()
        (w * 3).sum().backward()
        #expect(w.grad!.scalars == [3, 3, 3])
    }

    @Test func noGradientScopeRecordsNothing() {
        let w = Tensor<Float>([1, 2]).requiringGradient()
        let y = withoutGradients { w * w }
        #expect(!y.requiresGradient)
        #expect((w * w).requiresGradient)
        #expect(GradMode.isEnabled)
    }

    @Test func valueAndGradientOfAFunction() {
        let x = Tensor<Double>([1, -2, 3])
        let (value, grads) = valueAndGradient(at: [x]) { xs in (xs[0] * xs[0]).sum() }
        #expect(value.item == 14)
        #expect(grads[0].scalars == [2, -4, 6])
    }

    @Test func checkpointingGivesTheSameGradients() {
        var rng = RandomGenerator(seed: 9)
        let w1 = Tensor<Double>.randomNormal([6, 6], generator: &rng).requiringGradient()
        let w2 = Tensor<Double>.randomNormal([6, 6], generator: &rng).requiringGradient()
        let x = Tensor<Double>.randomNormal([3, 6], generator: &rng).requiringGradient()
        func block(_ h: Tensor<Double>, _ seed: UInt64) -> Tensor<Double> {
            var g = RandomGenerator(seed: seed)
            let a = swiglu(gate: matmul(h, w1, transposeB: true), up: matmul(h, w2, transposeB: true))
            return rmsNorm(dropout(a, probability: 0.25, generator: &g), weight: nil, epsilon: 1e-6) + h
        }
        let plain = block(block(x, 1), 2).square().sum()
        plain.backward()
        let expected = [w1.grad!, w2.grad!, x.grad!].map(\.scalars)
        [w1, w2, x].forEach { $0.zeroGradient() }
        let h1 = checkpoint([x]) { block($0[0], 1) }
        let h2 = checkpoint([h1]) { block($0[0], 2) }
        let checkpointed = h2.square().sum()
        #expect(checkpointed.item == plain.item)
        checkpointed.backward()
        for (e, o) in zip(expected, [w1.grad!, w2.grad!, x.grad!].map(\.scalars)) {
            #expect(maxAbsoluteDifference(e, o).value < 1e-12)
        }
    }

    @Test func checkpointReachesCapturedParametersWithoutInputGradients() {
        let w = Tensor<Double>([2, 3]).requiringGradient()
        let x = Tensor<Double>([5, 7])
        let y = checkpoint([x]) { xs in xs[0] * w }
        y.sum().backward()
        #expect(w.grad!.scalars == [5, 7])
    }

    @Test func dropoutIsSeededAndScaled() {
        let x = Tensor<Float>.ones([10_000])
        var g1 = RandomGenerator(seed: 4)
        var g2 = RandomGenerator(seed: 4)
        let a = dropout(x, probability: 0.2, generator: &g1)
        let b = dropout(x, probability: 0.2, generator: &g2)
        #expect(a == b)
        let kept = a.scalars.filter { $0 != 0 }
        #expect(kept.allSatisfy { Swift.abs($0 - 1.25) < 1e-6 })
        #expect(Swift.abs(Double(kept.count) / 10_000 - 0.8) < 0.02)
        // The Double (Swift) path draws the same mask as the Float (CKernels) path.
        var g3 = RandomGenerator(seed: 4)
        let d = dropout(Tensor<Double>.ones([10_000]), probability: 0.2, generator: &g3)
        #expect(maxAbsoluteDifference(a.scalars, d.scalars).value < 1e-6)
    }
}
