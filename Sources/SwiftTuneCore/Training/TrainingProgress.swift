import Foundation

/// A snapshot of a running training job, handed to the caller after every optimizer step.
public struct TrainingProgress: Sendable, Codable {
    public var step: Int
    public var totalSteps: Int
    public var epoch: Double
    /// The step's loss: the sum of its micro-batch losses (for SFT the mean over the step's scored tokens).
    public var loss: Double
    public var learningRate: Double
    /// Global gradient norm before clipping.
    public var gradientNorm: Double
    public var tokensPerSecond: Double
    public var elapsedSeconds: Double
    public var estimatedSecondsRemaining: Double
    /// Resident memory of the process in MB.
    public var residentMemoryMB: Double
    /// Set on steps where validation ran.
    public var validationLoss: Double?
    /// The objective's validation metrics (``ValidationResult/metrics``) on steps where validation ran.
    public var validationMetrics: [String: Double] = [:]
    /// Whether this step's update was skipped (its loss or gradient norm was not finite).
    public var skipped: Bool = false
    /// Steps skipped so far in the run (``Trainer/skippedSteps``).
    public var skippedStepsSoFar: Int = 0
    /// The objective's metrics for this step (``ObjectiveOutput/metrics`` combined over the micro-batches by
    /// ``StepMetrics``), e.g. `rewards/chosen`; empty for SFT.
    public var metrics: [String: Double] = [:]
}

/// What the caller wants after a progress report.
public enum TrainingControl: Sendable {
    case proceed
    /// Save a checkpoint and stop (Ctrl-C).
    case stop
}

enum ProcessMemory {
    /// Resident set size from /proc/self/statm (0 where unavailable).
    static var residentMB: Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }
}
