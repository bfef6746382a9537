import Foundation
import SwiftTuneCore
import Testing
import TestSupport

/// Fused operations in Float against PyTorch float64 references (Tools/generate_fused_fixtures.py).
@Suite("Fused ops match PyTorch")
struct FusedOpsMatchPyTorchTests {
    static let rtol = 2e-5
    static let atol = 2e-6

    func load(_ name: String) throws -> Fixture { try Fixture.load(name, subfolder: "fused", bundle: .module) }

    func expectClose(_ observed: Tensor<Float>, _ fixture: Fixture, _ name: String,
                     rtol: Double = rtol, atol: Double = atol, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try fixture.values(name)
        #expect(observed.shape == fixture.tensors[name]!.shape, "\(name) shape", sourceLocation: sourceLocation)
        let r = allClose(observed.doubles, expected, rtol: rtol, atol: atol)
        #expect(r.ok, "\(fixture.op).\(name): \(r.report)", sourceLocation: sourceLocation)
    }

    /// Forward `f` on the fixture's inputs, then backward with the fixture's `dout`.
    func run(_ fixture: Fixture, inputs names: [String], dout: String = "dout",
             _ f: ([Tensor<Float>]) -> Tensor<Float>) throws -> (out: Tensor<Float>, grads: [Tensor<Float>]) {
        let inputs = try names.map { try fixture.tensor($0, as: Float.self).requiringGradient() }
        let out = f(inputs)
        out.backward(try fixture.tensor(dout, as: Float.self))
        return (out.detached, inputs.map { $0.grad! })
    }

    @Test func rmsNormMatches() throws {
        let f = try load("rmsnorm")
        let eps = f.param("eps")!
        let r = try run(f, inputs: ["x", "weight"]) { rmsNorm($0[0], weight: $0[1], epsilon: eps) }
        try expectClose(r.out, f, "out")
        try expectClose(r.grads[0], f, "dx")
        try expectClose(r.grads[1], f, "dweight")
    }

    @Test func swigluMatches() throws {
        let f = try load("swiglu")
        let r = try run(f, inputs: ["gate", "up"]) { swiglu(gate: $0[0], up: $0[1]) }
        try expectClose(r.out, f, "out")
        try expectClose(r.grads[0], f, "dgate")
        try expectClose(r.grads[1], f, "dup")
    }

    @Test func softmaxMatches() throws {
        let f = try load("softmax")
        let r = try run(f, inputs: ["x"]) { softmax($0[0]) }
        try expectClose(r.out, f, "out")
        try expectClose(r.grads[0], f, "dx")
        let g = try load("log_softmax")
        let s = try run(g, inputs: ["x"]) { logSoftmax($0[0]) }
        try expectClose(s.out, g, "out")
        try expectClose(s.grads[0], g, "dx")
    }

    @Test(arguments: ["cross_entropy", "cross_entropy_unweighted"])
    func crossEntropyMatches(_ name: String) throws {
        let f = try load(name)
        let targets = try f.integers("targets")
        let weights: Tensor<Float>? = f.tensors["weights"] == nil ? nil : try f.tensor("weights")
        let r = try run(f, inputs: ["logits"]) { crossEntropy(logits: $0[0], targets: targets, weights: weights) }
        try expectClose(r.out, f, "loss")
        try expectClose(r.grads[0], f, "dlogits")
    }

    @Test func embeddingMatches() throws {
        let f = try load("embedding")
        let ids = try f.integers("ids")
        let r = try run(f, inputs: ["table"]) { embedding($0[0], ids: ids) }
        try expectClose(r.out, f, "out", rtol: 0, atol: 0)
        try expectClose(r.grads[0], f, "dtable")
    }

    @Test(arguments: ["rope", "rope_partial"])
    func ropeMatches(_ name: String) throws {
        let f = try load(name)
        let positions = try f.integers("positions")
        let rope = RotaryEmbedding<Float>(rotaryDimension: Int(f.param("rot_dim")!), theta: f.param("theta")!,
                                          maxPositions: 16)
        let r = try run(f, inputs: ["x"]) { rope($0[0], positions: positions) }
        try expectClose(r.out, f, "out")
        try expectClose(r.grads[0], f, "dx")
    }

    @Test(arguments: ["exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "silu", "gelu"])
    func unaryMatches(_ name: String) throws {
        let f = try load("unary")
        let input = ["log", "sqrt", "rsqrt"].contains(name) ? "x_pos" : "x"
        let r = try run(f, inputs: [input]) { xs in
            let x = xs[0]
            switch name {
            case "exp": return x.exp()
            case "log": return x.log()
            case "sqrt": return x.sqrt()
            case "rsqrt": return x.rsqrt()
            case "tanh": return x.tanh()
            case "sigmoid": return x.sigmoid()
            case "silu": return x.silu()
            default: return x.gelu()
            }
        }
        try expectClose(r.out, f, "out_\(name)")
        try expectClose(r.grads[0], f, "dx_\(name)")
    }

    @Test func matmulMatches() throws {
        let f = try load("matmul")
        let r = try run(f, inputs: ["a", "b"]) { matmul($0[0], $0[1]) }
        try expectClose(r.out, f, "out")
        try expectClose(r.grads[0], f, "da")
        try expectClose(r.grads[1], f, "db")
        let r3 = try run(f, inputs: ["a3", "b3"], dout: "dout3") { matmul($0[0], $0[1]) }
        try expectClose(r3.out, f, "out3")
        try expectClose(r3.grads[0], f, "da3")
        try expectClose(r3.grads[1], f, "db3")
    }

    @Test func logSumExpMatches() throws {
        let f = try load("logsumexp")
        for axis in [1, 0] {
            let r = try run(f, inputs: ["x"], dout: "dout_axis\(axis)") { $0[0].logSumExp(axis: axis) }
            try expectClose(r.out, f, "out_axis\(axis)")
            try expectClose(r.grads[0], f, "dx_axis\(axis)")
        }
    }

    @Test func denseAttentionMatches() throws {
        let f = try load("attention_tiny")
        let r = try run(f, inputs: ["q", "k", "v"]) { denseAttention(query: $0[0], key: $0[1], value: $0[2]) }
        try expectClose(r.out, f, "out")
        try expectClose(r.grads[0], f, "dq")
        try expectClose(r.grads[1], f, "dk")
        try expectClose(r.grads[2], f, "dv")
    }
}
