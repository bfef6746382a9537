extension GRPOLoss {
    /// Checks the shapes of a loss call and returns (B, T).
    func checkShapes<Scalar: TensorScalar>(
        policy: Tensor<Scalar>, oldPolicy: Tensor<Scalar>?, reference: Tensor<Scalar>?, advantages: [Double],
        completionMask: [[Bool]], truncated: [Bool]?, entropies: [[Double]]?
    ) throws -> (Int, Int) {
        guard policy.rank == 2 else {
            throw GRPOError.shapeMismatch(field: "policy", expected: "[B, T] per-token log-probabilities",
                                          got: "\(policy.shape)")
        }
        let (b, t) = (policy.shape[0], policy.shape[1])
        guard b > 0 else { throw GRPOError.emptyBatch(field: "policy") }
        for (name, tensor) in [("oldPolicy", oldPolicy), ("reference", reference)] {
            if let tensor, tensor.shape != policy.shape {
                throw GRPOError.shapeMismatch(field: name, expected: "\(policy.shape)", got: "\(tensor.shape)")
            }
        }
        for (name, tensor) in [("policy", Optional(policy)), ("oldPolicy", oldPolicy), ("reference", reference)] {
            guard let tensor else { continue }
            let values = tensor.scalars
            if let i = values.firstIndex(where: { !$0.isFinite }) {
                throw GRPOError.nonFinite(field: name, index: i, value: values[i].doubleValue)
            }
        }
        if beta != 0, reference == nil {
            throw GRPOError.shapeMismatch(field: "reference", expected: "[B, T] log-probabilities (beta = \(beta) > 0)",
                                          got: "nil")
        }
        guard advantages.count == b else {
            throw GRPOError.shapeMismatch(field: "advantages", expected: "\(b) values", got: "\(advantages.count)")
        }
        if let i = advantages.firstIndex(where: { !$0.isFinite }) {
            throw GRPOError.nonFinite(field: "advantages", index: i, value: advantages[i])
        }
        guard completionMask.count == b else {
            throw GRPOError.shapeMismatch(field: "completionMask", expected: "\(b) rows", got: "\(completionMask.count)")
        }
        if let i = completionMask.firstIndex(where: { $0.count != t }) {
            throw GRPOError.shapeMismatch(field: "completionMask[\(i)]", expected: "\(t) positions",
                                          got: "\(completionMask[i].count)")
        }
        if let truncated, truncated.count != b {
            throw GRPOError.shapeMismatch(field: "truncated", expected: "\(b) flags", got: "\(truncated.count)")
        }
        if let entropies {
            guard entropies.count == b else {
                throw GRPOError.shapeMismatch(field: "entropies", expected: "\(b) rows", got: "\(entropies.count)")
            }
            if let i = entropies.firstIndex(where: { $0.count != t }) {
                throw GRPOError.shapeMismatch(field: "entropies[\(i)]", expected: "\(t) positions",
                                              got: "\(entropies[i].count)")
            }
        }
        return (b, t)
    }

    /// ms-swift's `entropy/mean|max|min`: each completion's mean entropy over its mask (NaN when empty), then the
    /// NaN-ignoring mean, max and min over the completions.
    static func entropyMetrics(_ entropies: [[Double]], mask: [[Bool]]) -> [String: Double] {
        let perCompletion = zip(entropies, mask).map { e, m -> Double in
            let v = zip(e, m).filter(\.1).map(\.0)
            return v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count)
        }.filter { !$0.isNaN }
        guard !perCompletion.isEmpty else { return ["entropy/mean": .nan, "entropy/max": .nan, "entropy/min": .nan] }
        return ["entropy/mean": perCompletion.reduce(0, +) / Double(perCompletion.count),
                "entropy/max": perCompletion.max()!, "entropy/min": perCompletion.min()!]
    }
}
