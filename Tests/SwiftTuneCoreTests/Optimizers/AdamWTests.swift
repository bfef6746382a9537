import Foundation
import SwiftTuneCore
import Testing
import TestSupport

@Suite("AdamW")
struct AdamWTests {
    /// 25 steps of the fused kernel against torch.optim.AdamW's float32 trajectory.
    @Test func matchesTorchOverManySteps() throws {
        let f = try Fixture.load("adamw", subfolder: "optim", bundle: .module)
        let parameter = Parameter<Float>(try f.tensor("initial"), path: "p")
        let grads: Tensor<Float> = try f.tensor("grads")
        let optimizer = AdamW<Float>(learningRate: f.param("lr")!, beta1: f.param("beta1")!, beta2: f.param("beta2")!,
                                     epsilon: f.param("eps")!, weightDecay: f.param("weight_decay")!)
        let steps = Int(f.param("steps")!)
        for step in 0..<steps {
            parameter.value.grad = grads.slice(axis: 0, step..<(step + 1)).reshaped([parameter.shape[0]])
            optimizer.step([parameter])
            parameter.zeroGradient()
        }
        let final = allClose(parameter.value.doubles, try f.values("final"), rtol: 1e-5, atol: 1e-6)
        #expect(final.ok, "θ after \(steps) steps: \(final.report)")
        let moments = optimizer.moments(of: parameter)!
        let m = allClose(moments.m.doubles, try f.values("exp_avg"), rtol: 1e-5, atol: 1e-7)
        let v = allClose(moments.v.doubles, try f.values("exp_avg_sq"), rtol: 1e-5, atol: 1e-9)
        #expect(m.ok, "exp_avg: \(m.report)")
        #expect(v.ok, "exp_avg_sq: \(v.report)")
    }

    /// The Double path (Swift) and the Float path (CKernels) follow the same trajectory.
    @Test func floatAndDoublePathsAgree() {
        var rng = RandomGenerator(seed: 3)
        let start = Tensor<Float>.randomNormal([1000], generator: &rng)
        let pf = Parameter<Float>(start, path: "f")
        let pd = Parameter<Double>(start.converted(to: Double.self), path: "d")
        let of = AdamW<Float>(learningRate: 1e-2), od = AdamW<Double>(learningRate: 1e-2)
        for _ in 0..<10 {
            let g = Tensor<Float>.randomNormal([1000], generator: &rng)
            pf.value.grad = g
            pd.value.grad = g.converted(to: Double.self)
            of.step([pf]); od.step([pd])
        }
        let diff = maxAbsoluteDifference(pf.value.scalars, pd.value.scalars)
        #expect(diff.value < 1e-5, "Float vs Double AdamW after 10 steps: \(diff)")
    }
}
