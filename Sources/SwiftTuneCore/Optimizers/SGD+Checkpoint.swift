/// SGD's checkpoint state: per parameter `<path>.momentum_buffer` (b, PyTorch's state name) and the step count.
extension SGD {
    /// `sgd momentum=… nesterov=… weight_decay=…` (the ``RunFingerprint/optimizer`` text; dampening is added
    /// only when it is not 0).
    public var hyperparameters: String {
        "sgd momentum=\(momentum) nesterov=\(nesterov) weight_decay=\(weightDecay)"
            + (dampening != 0 ? " dampening=\(dampening)" : "")
    }

    /// `<path>.momentum_buffer` for every parameter that has a buffer (none without momentum).
    public func stateEntries(for parameters: [Parameter<Scalar>]) -> [SafetensorsWriter.Entry] {
        parameters.compactMap { p in
            momentumBuffer(of: p).map { SafetensorsWriter.Entry(name: p.path + ".momentum_buffer", tensor: $0) }
        }
    }

    /// Restores the momentum buffers found in `file` and the step count.
    ///
    /// - Throws: ``TrainingError/badCheckpoint(path:reason:)`` for a buffer whose shape differs from its parameter's,
    ///   or when momentum is on, steps were taken and `file` holds no buffer at all (an older SwiftTune or another
    ///   optimizer wrote it; resuming would silently restart the momentum).
    public func restoreState(from file: SafetensorsFile, parameters: [Parameter<Scalar>], stepCount: Int) throws {
        var restored: [(Parameter<Scalar>, Tensor<Scalar>)] = []
        for p in parameters {
            if let b = try stateTensor("momentum_buffer", of: p, in: file) { restored.append((p, b)) }
        }
        if momentum != 0 && stepCount > 0 && restored.isEmpty {
            throw TrainingError.badCheckpoint(path: file.url.path, reason: "no SGD momentum buffers (written by an older SwiftTune or another optimizer); resuming would restart momentum")
        }
        restore(buffers: restored)
        self.stepCount = stepCount
    }
}
