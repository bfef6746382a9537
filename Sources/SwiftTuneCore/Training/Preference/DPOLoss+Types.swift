import Foundation

extension DPOLoss {
    /// The per-pair loss `[P]` of one ``DPOLossType`` (formulas in its documentation). `pc`, `pr` carry the
    /// policy's gradient; `rc`, `rr` are constants; `nll` is the scalar chosen NLL (needed by `sft`).
    mutating func typeLoss<Scalar: TensorScalar>(_ type: DPOLossType, pc: Tensor<Scalar>, pr: Tensor<Scalar>,
                                                 rc: Tensor<Scalar>, rr: Tensor<Scalar>,
                                                 nll: Tensor<Scalar>?) throws -> Tensor<Scalar> {
        let b = Scalar(beta)
        let a = pc - rc, r = pr - rr                 // chosen / rejected log-ratios
        let x = (pc - pr) - (rc - rr)                // DPO logits
        func smoothedSigmoid(_ z: Tensor<Scalar>) -> Tensor<Scalar> {
            let e = Scalar(labelSmoothing)
            return -((z * b).logSigmoid() * (1 - e)) - (z * (-b)).logSigmoid() * e
        }
        func sorted(_ t: Tensor<Scalar>) -> Tensor<Scalar> {
            let v = t.detached.doubleValues
            return t.indexSelect(axis: 0, indices: v.indices.sorted { v[$0] < v[$1] })
        }
        switch type {
        case .sigmoid:
            return smoothedSigmoid(x)
        case .robust:
            let e = Scalar(labelSmoothing)
            return (-((x * b).logSigmoid() * (1 - e)) + (x * (-b)).logSigmoid() * e) / (1 - 2 * e)
        case .exoPair:
            if labelSmoothing == 0 { labelSmoothing = 1e-3 }
            let e = labelSmoothing
            let z = x * b
            return z.sigmoid() * (z.logSigmoid() - Scalar(Foundation.log(1 - e)))
                + (-z).sigmoid() * ((-z).logSigmoid() - Scalar(Foundation.log(e)))
        case .hinge:
            return (1 - x * b).relu()
        case .ipo:
            return (x - Scalar(1 / (2 * beta))).square()
        case .bcoPair:
            let rewards = (a.detached.doubleValues + r.detached.doubleValues).map { beta * $0 }
            running.update([rewards.reduce(0, +) / Double(rewards.count)])
            let delta = Scalar(running.mean)
            return -((a * b - delta).logSigmoid()) - (-(r * b - delta)).logSigmoid()
        case .sppoHard:
            return (a - Scalar(0.5 / beta)).square() + (r + Scalar(0.5 / beta)).square()
        case .ncaPair:
            let cr = a * b, rj = r * b
            return -cr.logSigmoid() - (-cr).logSigmoid() * 0.5 - (-rj).logSigmoid() * 0.5
        case .aotUnpaired:
            return smoothedSigmoid(sorted(a) - sorted(r))
        case .aot:
            return smoothedSigmoid(sorted(pc - pr) - sorted(rc - rr))
        case .apoZero:
            return (1 - (a * b).sigmoid()) + (r * b).sigmoid()
        case .apoDown:
            return (a * b).sigmoid() + (1 - ((a - r) * b).sigmoid())
        case .discopop:
            let l = x * b
            let m = (l / Scalar(discopopTau)).sigmoid()
            return -l.logSigmoid() * (1 - m) + (-l).exp() * m
        case .sft:
            guard let nll else { throw PreferenceLossError.emptyBatch(field: "sft nll") }
            return nll.broadcast(to: pc.shape)
        }
    }
}
