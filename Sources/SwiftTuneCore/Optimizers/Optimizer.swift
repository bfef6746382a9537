/// Updates parameters from their gradients.
///
/// An optimizer only defines the per-parameter update; `step` walks the parameters that have
/// a gradient, group by group (``ParameterGroup``). Its per-parameter state (moments, momentum buffers) is part of
/// every checkpoint: ``stateEntries(for:)`` names it as tensors `<parameter path>.<state name>` (PyTorch's state
/// names), ``restoreState(from:parameters:stepCount:)`` reads it back, and ``hyperparameters`` goes into the run's
/// ``RunFingerprint`` so that a resume with other settings is refused.
///
/// A new optimizer is one file: a class conforming to this protocol, plus a case in
/// ``TrainingConfiguration/makeOptimizer()`` when a configuration should be able to choose it. ``Trainer`` and its
/// checkpoints work with any conforming type (`any Optimizer<Float>`).
public protocol Optimizer<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar
    /// The learning rate of the next step (schedules set it); groups scale it.
    var learningRate: Double { get set }
    /// Optimizer steps taken so far (t); recorded in checkpoints as `optimizerStep`.
    var stepCount: Int { get }
    /// The optimizer's name and hyperparameters as one line, e.g. `adamw beta1=0.9 beta2=0.999 eps=1e-08
    /// weight_decay=0.0` (the ``RunFingerprint/optimizer`` field; the learning rate is not part of it).
    var hyperparameters: String { get }
    /// Applies one update to every parameter with a gradient, each with its group's hyperparameters; the caller
    /// then clears the gradients.
    func step(_ groups: [ParameterGroup<Scalar>])
    /// The state of `parameters` as checkpoint tensors named `<path>.<state name>` (parameters without state yet,
    /// e.g. before their first update, have no entries).
    func stateEntries(for parameters: [Parameter<Scalar>]) -> [SafetensorsWriter.Entry]
    /// Replaces the whole state with what `file` holds for `parameters` (entries written by
    /// ``stateEntries(for:)``) and sets ``stepCount``; parameters without entries start fresh.
    ///
    /// - Throws: ``TrainingError/badCheckpoint(path:reason:)`` when an entry has the wrong shape or cannot be read,
    ///   or the state a resume needs is missing.
    func restoreState(from file: SafetensorsFile, parameters: [Parameter<Scalar>], stepCount: Int) throws
}

extension Optimizer {
    /// One update of `parameters` as a single group with the optimizer's own hyperparameters.
    public func step(_ parameters: [Parameter<Scalar>]) {
        step([ParameterGroup(parameters)])
    }

    /// Reads the state tensor `<parameter path>.<name>` from a checkpoint, `nil` when absent.
    ///
    /// - Throws: ``TrainingError/badCheckpoint(path:reason:)`` when it cannot be read or its shape differs from the
    ///   parameter's.
    public func stateTensor(_ name: String, of parameter: Parameter<Scalar>, in file: SafetensorsFile) throws -> Tensor<Scalar>? {
        let key = parameter.path + "." + name
        guard file.contains(key) else { return nil }
        let tensor: Tensor<Scalar>
        do { tensor = try file.tensor(key, as: Scalar.self) } catch {
            throw TrainingError.badCheckpoint(path: file.url.path, reason: "'\(key)': \(error)")
        }
        guard tensor.shape == parameter.shape else {
            throw TrainingError.badCheckpoint(path: file.url.path,
                                              reason: "'\(key)' has shape \(tensor.shape), expected \(parameter.shape)")
        }
        return tensor
    }
}
