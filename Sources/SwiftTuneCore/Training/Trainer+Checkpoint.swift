import Foundation

/// Checkpoints: `trainable.safetensors` (every trainable parameter by path), `optimizer.safetensors` (the
/// optimizer's ``Optimizer/stateEntries(for:)``: AdamW moments as `<path>.exp_avg` / `<path>.exp_avg_sq`, PyTorch's
/// state names; SGD momentum as `<path>.momentum_buffer`) and `trainer_state.json` (step, data position, the
/// optimizer's ``Optimizer/stepCount``, the configuration, the ``RunFingerprint``). A checkpoint is written as a
/// ``FolderTransaction`` (a hidden sibling folder swapped in), so a run killed while writing leaves the previous
/// checkpoint of that name intact. An objective with state of its own (``TrainingObjective/checkpointState()``,
/// e.g. DPO `bco_pair`'s running moments) adds `objective_state.json`.
extension Trainer {
    struct State: Codable {
        var step: Int
        var microBatchIndex: Int
        var optimizerStep: Int
        var configuration: TrainingConfiguration
        /// What the run was trained with; absent in checkpoints written before SwiftTune recorded it (accepted with a note).
        var fingerprint: RunFingerprint?
        /// Steps skipped as non-finite before the checkpoint (absent: 0).
        var skippedSteps: Int?

        enum CodingKeys: String, CodingKey {
            case step, microBatchIndex, optimizerStep, configuration, fingerprint, skippedSteps = "skipped_nonfinite_steps"
        }
    }

    /// Writes a checkpoint folder at `url`, replacing an older one of the same name as one ``FolderTransaction``:
    /// a reader (or a resume after `kill -9`) finds the complete old checkpoint or the complete new one.
    public func saveCheckpoint(to url: URL) throws {
        let moments = optimizer.stateEntries(for: parameters)
        let state = State(step: step, microBatchIndex: microBatchIndex, optimizerStep: optimizer.stepCount,
                          configuration: configuration, fingerprint: fingerprint, skippedSteps: skippedSteps)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let stateJSON = try encoder.encode(state)
        let objectiveState = try objective.checkpointState()
        try FolderTransaction.write(to: url) { staging in
            try SafetensorsWriter.write(parameters.map { SafetensorsWriter.Entry(name: $0.path, tensor: $0.value.detached) },
                                        to: staging.appendingPathComponent("trainable.safetensors"))
            try SafetensorsWriter.write(moments, to: staging.appendingPathComponent("optimizer.safetensors"))
            try stateJSON.write(to: staging.appendingPathComponent("trainer_state.json"))
            try objectiveState?.write(to: staging.appendingPathComponent("objective_state.json"))
        }
    }

    /// Restores a checkpoint written by ``saveCheckpoint(to:)`` into this trainer (same model and data).
    ///
    /// The checkpoint's ``RunFingerprint`` must equal this run's: another tuner, adapter, target modules, optimizer
    /// (or its hyperparameters), batch order, model or training data is refused, naming the difference. A checkpoint
    /// without a fingerprint (written before SwiftTune recorded one) is accepted, with a note in the result.
    ///
    /// - Returns: notes for the user (empty when the checkpoint was fully checked).
    /// - Throws: ``TrainingError/resumeMismatch(checkpoint:field:checkpointValue:runValue:)``,
    ///   ``TrainingError/badCheckpoint(path:reason:)``.
    @discardableResult
    public func resume(from url: URL) throws -> [String] {
        FolderTransaction.recover(url)
        let stateURL = url.appendingPathComponent("trainer_state.json")
        guard let data = FileManager.default.contents(atPath: stateURL.path) else {
            throw TrainingError.badCheckpoint(path: stateURL.path, reason: "missing")
        }
        let state: State
        do { state = try JSONDecoder().decode(State.self, from: data) } catch {
            throw TrainingError.badCheckpoint(path: stateURL.path, reason: ModelLoadingError.describe(error))
        }
        for (key, value) in [("step", state.step), ("microBatchIndex", state.microBatchIndex), ("optimizerStep", state.optimizerStep),
                             ("skipped_nonfinite_steps", state.skippedSteps ?? 0)] where !(0...(1 << 50)).contains(value) {
            throw TrainingError.badCheckpoint(path: stateURL.path, reason: "'\(key)' is \(value), not a count in [0, 2^50]")
        }
        guard state.step <= totalSteps else {
            throw TrainingError.badCheckpoint(path: stateURL.path, reason: "the checkpoint is at step \(state.step), past this run's "
                                              + "\(totalSteps) steps (raise --max-steps or --num-train-epochs to continue it)")
        }
        var notes: [String] = []
        if let recorded = state.fingerprint {
            if let d = recorded.firstDifference(from: fingerprint) {
                throw TrainingError.resumeMismatch(checkpoint: url.path, field: d.field, checkpointValue: d.checkpoint, runValue: d.run)
            }
        } else {
            notes.append("\(stateURL.path) records no run fingerprint (an older SwiftTune wrote it): tuner, optimizer, "
                         + "model and data cannot be checked against this run")
        }
        let weights = try SafetensorsFile(contentsOf: url.appendingPathComponent("trainable.safetensors"))
        for p in parameters {
            guard weights.contains(p.path) else {
                throw TrainingError.badCheckpoint(path: weights.url.path, reason: "no tensor '\(p.path)'")
            }
            let value = try weights.tensor(p.path, as: Float.self)
            guard value.shape == p.shape else {
                throw TrainingError.badCheckpoint(path: weights.url.path, reason: "'\(p.path)' has shape \(value.shape), expected \(p.shape)")
            }
            p.assign(value.converted(to: Float.self))
        }
        let moments = try SafetensorsFile(contentsOf: url.appendingPathComponent("optimizer.safetensors"))
        try optimizer.restoreState(from: moments, parameters: parameters, stepCount: state.optimizerStep)
        if let objectiveState = FileManager.default.contents(atPath: url.appendingPathComponent("objective_state.json").path) {
            try objective.restoreCheckpointState(objectiveState)
        } else if try objective.checkpointState() != nil {
            notes.append("\(url.path) has no objective_state.json: the objective's state starts afresh")
        }
        step = state.step
        microBatchIndex = state.microBatchIndex
        skippedSteps = state.skippedSteps ?? 0
        return notes
    }
}
