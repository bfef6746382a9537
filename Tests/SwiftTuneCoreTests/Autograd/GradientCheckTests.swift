import SwiftTuneCore
import Testing
import TestSupport

/// A finite-difference check (in Double) for every differentiable operation.
@Suite("Finite-difference gradients")
struct GradientCheckTests {
    let check = GradientCheck()

    func expectGradients(_ inputs: [Tensor<Double>], tolerance: GradientCheck? = nil,
                         _ f: @escaping ([Tensor<Double>]) -> Tensor<Double>,
                         sourceLocation: SourceLocation = #_sourceLocation) {
        let failure = (tolerance ?? check).failure(inputs: inputs, f)
        #expect(failure == nil, "\(failure ?? "")", sourceLocation: sourceLocation)
    }

    @Test func arithmeticWithBroadcasting() {
        let a = randomDoubles([2, 3, 4], seed: 1)
        let b = randomDoubles([3, 4], seed: 2)
        let c = randomDoubles([2, 1, 4], seed: 3)
        let positive = randomDoubles([3, 1], seed: 4, low: 0.5, high: 2)
        expectGradients([a, b]) { $0[0] + $0[1] }
        expectGradients([a, c]) { $0[0] - $0[1] }
        expectGradients([a, c]) { $0[0] * $0[1] }
        expectGradients([a, positive]) { $0[0] / $0[1] }
        expectGradients([b, positive]) { $0[1] / ($0[0] + 3) }
        expectGradients([a]) { 2.5 * $0[0] - 1 }
        expectGradients([positive]) { 3 / $0[0] }
        expectGradients([a]) { -$0[0] + 0.5 }
        expectGradients([a, c]) { Tensor.maximum($0[0], $0[1]) }
    }

    @Test(arguments: ["exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "silu", "gelu", "square", "reciprocal", "abs"])
    func unary(_ name: String) {
        let positive = ["log", "sqrt", "rsqrt", "reciprocal"].contains(name)
        let x = randomDoubles([3, 5], seed: 11, low: positive ? 0.3 : -3, high: 3)
        expectGradients([x]) { xs in
            let x = xs[0]
            switch name {
            case "exp": return x.exp()
            case "log": return x.log()
            case "sqrt": return x.sqrt()
            case "rsqrt": return x.rsqrt()
            case "tanh": return x.tanh()
            case "sigmoid": return x.sigmoid()
            case "silu": return x.silu()
            case "gelu": return x.gelu()
            case "square": return x.square()
            case "reciprocal": return x.reciprocal()
            default: return x.abs()
            }
        }
    }

    @Test func reductions() {
        let x = randomDoubles([3, 4, 5], seed: 21, low: -2, high: 2)
        for axis in 0..<3 {
            expectGradients([x]) { $0[0].sum(axis: axis) }
            expectGradients([x]) { $0[0].mean(axis: axis, keepingDimension: true) }
            expectGradients([x]) { $0[0].max(axis: axis) }
            expectGradients([x]) { $0[0].logSumExp(axis: axis) }
        }
        expectGradients([x]) { $0[0].sum() }
        expectGradients([x]) { $0[0].mean() }
    }

    @Test func shapeOperations() {
        let x = randomDoubles([2, 3, 4], seed: 31)
        let y = randomDoubles([2, 2, 4], seed: 32)
        expectGradients([x]) { $0[0].reshaped([6, -1]) }
        expectGradients([x]) { $0[0].permuted([2, 0, 1]) }
        expectGradients([x]) { $0[0].transposed() }
        expectGradients([x]) { $0[0].slice(axis: 1, 1..<3) }
        expectGradients([x, y]) { Tensor.concatenate([$0[0], $0[1]], axis: 1) }
        expectGradients([x]) { xs in
            let parts = xs[0].split(axis: 2, sizes: [1, 3])
            return parts[0] * 2 + parts[1].sum(axis: 2, keepingDimension: true)
        }
        expectGradients([x]) { $0[0].indexSelect(axis: 1, indices: [2, 0, 2, 2]) }
        let values = randomDoubles([2, 3, 3], seed: 33)
        expectGradients([x, values]) { $0[0].scatterAdding(axis: 2, indices: [3, 0, 3], values: $0[1]) }
        let mask = Tensor<Bool8>(shape: [3, 1], bools: [true, false, true])
        expectGradients([x]) { $0[0].masked(where: mask, with: -7) }
        expectGradients([x, y.slice(axis: 1, 0..<1)]) { $0[0].replacing(with: $0[1], where: mask) }
        expectGradients([randomDoubles([3, 1], seed: 34)]) { $0[0].broadcast(to: [2, 3, 4]) }
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func matmulTransposes(_ transposeA: Bool, _ transposeB: Bool) {
        let a = randomDoubles(transposeA ? [4, 3] : [3, 4], seed: 41)
        let b = randomDoubles(transposeB ? [5, 4] : [4, 5], seed: 42)
        expectGradients([a, b]) { matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
        // Batched operands and a shared right-hand matrix.
        let a3 = randomDoubles(transposeA ? [2, 4, 3] : [2, 3, 4], seed: 43)
        let b3 = randomDoubles(transposeB ? [2, 5, 4] : [2, 4, 5], seed: 44)
        expectGradients([a3, b3]) { matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
        expectGradients([a3, b]) { matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
        expectGradients([a, b3]) { matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
    }

    @Test func fusedOperations() {
        let x = randomDoubles([4, 7], seed: 51, low: -2, high: 2)
        let w = randomDoubles([7], seed: 52, low: 0.5, high: 1.5)
        expectGradients([x, w]) { rmsNorm($0[0], weight: $0[1], epsilon: 1e-6) }
        expectGradients([x]) { rmsNorm($0[0], weight: nil, epsilon: 1e-5) }
        let up = randomDoubles([4, 7], seed: 53)
        expectGradients([x, up]) { swiglu(gate: $0[0], up: $0[1]) }
        expectGradients([x]) { softmax($0[0]) }
        expectGradients([x]) { logSoftmax($0[0]) }
        let weights = randomDoubles([4], seed: 54, low: 0.2, high: 2)
        expectGradients([x]) { crossEntropy(logits: $0[0], targets: [3, ignoreIndex, 0, 6], weights: weights) }
        expectGradients([x]) { crossEntropy(logits: $0[0], targets: [1, 2, 2, 5], normalizer: 10) }
        let table = randomDoubles([5, 3], seed: 55)
        expectGradients([table]) { embedding($0[0], ids: [4, 1, 4, 0, 4], shape: [1, 5]) }
    }

    @Test func ropeAndDropout() {
        let x = randomDoubles([2, 3, 2, 6], seed: 61)
        let rope = RotaryEmbedding<Double>(rotaryDimension: 4, theta: 100, maxPositions: 8)
        expectGradients([x]) { rope($0[0], positions: [0, 1, 2, 5, 0, 1]) }
        expectGradients([x]) { xs in
            var rng = RandomGenerator(seed: 99)
            return dropout(xs[0], probability: 0.3, generator: &rng)
        }
    }

    @Test func attention() {
        let q = randomDoubles([1, 3, 4, 5], seed: 71)
        let k = randomDoubles([1, 3, 2, 5], seed: 72)
        let v = randomDoubles([1, 3, 2, 5], seed: 73)
        expectGradients([q, k, v]) { denseAttention(query: $0[0], key: $0[1], value: $0[2]) }
    }

    @Test func checkpointedBlock() {
        let x = randomDoubles([3, 4], seed: 81)
        let w = randomDoubles([4, 4], seed: 82)
        expectGradients([x, w]) { xs in
            checkpoint([xs[0], xs[1]]) { ys in matmul(ys[0], ys[1], transposeB: true).silu() }
        }
    }
}

extension GradientCheckTests {
    @Test func packedAttentionReference() throws {
        let layout = try AttentionLayout(segmentLengths: [[2, 3], [4]], length: 5, window: 2)
        let q = randomDoubles([2, 5, 2, 3], seed: 91)
        let k = randomDoubles([2, 5, 1, 3], seed: 92)
        let v = randomDoubles([2, 5, 1, 3], seed: 93)
        expectGradients([q, k, v]) { denseAttention(query: $0[0], key: $0[1], value: $0[2], layout: layout) }
    }
}
