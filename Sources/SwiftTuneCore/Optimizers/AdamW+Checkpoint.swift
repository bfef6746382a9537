/// AdamW's checkpoint state: per parameter `<path>.exp_avg` (m) and `<path>.exp_avg_sq` (v), PyTorch's state names,
/// and the step count t (``Optimizer/stepCount``), which the bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ need.
extension AdamW {
    /// `adamw beta1=… beta2=… eps=… weight_decay=…` (the ``RunFingerprint/optimizer`` text).
    public var hyperparameters: String {
        "adamw beta1=\(beta1) beta2=\(beta2) eps=\(epsilon) weight_decay=\(weightDecay)"
    }

    /// `<path>.exp_avg` and `<path>.exp_avg_sq` for every parameter that has moments (each of its shape).
    public func stateEntries(for parameters: [Parameter<Scalar>]) -> [SafetensorsWriter.Entry] {
        parameters.flatMap { p -> [SafetensorsWriter.Entry] in
            guard let (m, v) = moments(of: p) else { return [] }
            return [SafetensorsWriter.Entry(name: p.path + ".exp_avg", tensor: m),
                    SafetensorsWriter.Entry(name: p.path + ".exp_avg_sq", tensor: v)]
        }
    }

    /// Restores the moments of every parameter that has `<path>.exp_avg` in `file` (then `<path>.exp_avg_sq` must
    /// be there too) and the step count.
    ///
    /// - Throws: ``TrainingError/badCheckpoint(path:reason:)`` for a missing second moment or a shape that differs
    ///   from the parameter's.
    public func restoreState(from file: SafetensorsFile, parameters: [Parameter<Scalar>], stepCount: Int) throws {
        var restored: [(Parameter<Scalar>, m: Tensor<Scalar>, v: Tensor<Scalar>)] = []
        for p in parameters {
            guard let m = try stateTensor("exp_avg", of: p, in: file) else { continue }
            guard let v = try stateTensor("exp_avg_sq", of: p, in: file) else {
                throw TrainingError.badCheckpoint(path: file.url.path, reason: "'\(p.path).exp_avg' without '\(p.path).exp_avg_sq'")
            }
            restored.append((p, m, v))
        }
        restore(stepCount: stepCount, moments: restored)
    }
}
