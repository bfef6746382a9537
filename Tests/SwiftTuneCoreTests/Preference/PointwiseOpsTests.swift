import Foundation
import SwiftTuneCore
import Testing
import TestSupport

@Suite("Pointwise ops for the preference losses")
struct PointwiseOpsTests {
    static let ops: [(String, (Tensor<Double>) -> Tensor<Double>, low: Double, high: Double)] = [
        ("softplus", { $0.softplus() }, -6, 6),
        ("logSigmoid", { $0.logSigmoid() }, -6, 6),
        ("relu", { $0.relu() }, -2, 2),
        ("log1mexp low branch", { $0.log1mexp() }, -6, -0.8),
        ("log1mexp high branch", { $0.log1mexp() }, -0.6, -0.01),
        ("clamp", { $0.clamped(min: -0.5, max: 0.4) }, -1, 1),
        ("clamp min only", { $0.clamped(min: 0.1) }, -1, 1),
    ]

    /// Finite differences agree with the recorded derivative (away from relu's and clamp's kinks: the random
    /// points avoid them with probability 1).
    @Test(arguments: 0..<7)
    func gradientMatchesFiniteDifferences(_ index: Int) {
        let (name, op, low, high) = Self.ops[index]
        let x = randomDoubles([3, 5], seed: UInt64(40 + index), low: low, high: high)
        #expect(GradientCheck().failure(inputs: [x]) { op($0[0]) } == nil, "\(name)")
    }

    /// Values against the defining formulas, and the stable forms at large |x| where the naive ones overflow.
    @Test func valuesAndStability() {
        let x = Tensor<Double>([-800, -30, -1, -0.7, -0.69, -1e-6, 0.5, 30, 800])
        let sp = x.softplus().scalars, ls = x.logSigmoid().scalars
        for (i, v) in x.scalars.enumerated() {
            let naive = Foundation.log(1 + Foundation.exp(v))
            if naive.isFinite && naive > 1e-300 { #expect(Swift.abs(sp[i] - naive) <= 1e-12 * Swift.max(1, naive)) }
            #expect(Swift.abs(ls[i] + Tensor<Double>([-v]).softplus().item) <= 1e-12)
        }
        #expect(sp[8] == 800 && ls[0] == -800, "no overflow at |x| = 800")
        // log(1 − eˣ): the series −eˣ − e²ˣ/2 far below 0, log(−expm1(x)) (exact there) near 0.
        let l = Tensor<Double>([-30, -1, -0.7, -0.69, -1e-6]).log1mexp().scalars
        let e30 = Foundation.exp(-30.0)
        #expect(Swift.abs(l[0] - (-e30 - e30 * e30 / 2)) <= 1e-15 * e30)
        for (i, x) in [-1, -0.7, -0.69, -1e-6].enumerated() {
            let exact = Foundation.log(-Foundation.expm1(x))
            #expect(Swift.abs(l[i + 1] - exact) <= 1e-14 * Swift.abs(exact), "log1mexp(\(x))")
        }
        #expect(Tensor<Double>([-2, 0, 3]).relu().scalars == [0, 0, 3])
        #expect(Tensor<Double>([-2, 0.2, 3]).clamped(min: -1, max: 1).scalars == [-1, 0.2, 1])
    }

    /// Clamping passes the gradient inside the bounds and at them, and blocks it where the value was clamped.
    @Test func clampGradientAtBounds() {
        let x = Tensor<Double>([-2, -1, 0, 1, 2]).requiringGradient()
        withGradients { x.clamped(min: -1, max: 1).sum() }.backward()
        #expect(x.grad!.scalars == [0, 1, 1, 1, 0])
    }
}
