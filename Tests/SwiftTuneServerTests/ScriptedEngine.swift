import Foundation
import Synchronization
@testable import SwiftTuneServer

/// A fake engine for the HTTP layer's tests: choice `c` of a job emits token ids `(seed + c + 3·k) mod vocabulary`
/// for k = 0…, with text "t<k>" (k-th token) and log-probability −(k + 1)/10, until `maxTokens` (finish `length`)
/// or a stop token (finish `stop`). Jobs wait while the gate is closed; with `failAfter` a job throws after that
/// many events.
final class ScriptedEngine: InferenceEngine {
    struct State {
        var jobs: [GenerationJob] = []
        var waiting = 0
        var running = 0
        var cancelled = 0
        var gateOpen = true
        var accepting = true
    }
    let limits: EngineLimits
    let failAfter: Int?
    final class Box: Sendable { let state = Mutex(State()) }
    let box = Box()

    init(limits: EngineLimits = EngineLimits(maxModelLength: 64, maxBatchSize: 4, maxQueue: 2, vocabularySize: 640,
                                             endOfSequenceTokens: [2]),
         gateOpen: Bool = true, failAfter: Int? = nil) {
        self.limits = limits
        self.failAfter = failAfter
        box.state.withLock { $0.gateOpen = gateOpen }
    }

    var jobs: [GenerationJob] { box.state.withLock { $0.jobs } }
    var cancelled: Int { box.state.withLock { $0.cancelled } }
    func openGate() { box.state.withLock { $0.gateOpen = true } }

    func status() -> EngineStatus {
        box.state.withLock { EngineStatus(waiting: $0.waiting, runningRows: $0.running, accepting: $0.accepting) }
    }

    func shutdown(cancelRunning: Bool) async { box.state.withLock { $0.accepting = false } }

    /// The token ids choice `choice` of `job` emits.
    static func script(_ job: GenerationJob, choice: Int, vocabulary: Int) -> [Int] {
        var ids: [Int] = []
        let base = Int(job.seed(ofChoice: choice) % UInt64(vocabulary))
        for k in 0..<job.maxTokens {
            let id = (base + 3 * k) % vocabulary
            ids.append(id)
            if job.stopTokens.contains(id) { break }
        }
        return ids
    }

    func submit(_ job: GenerationJob) throws(APIError) -> GenerationHandle {
        try box.state.withLock { (s: inout State) throws(APIError) in
            guard s.accepting else { throw APIError.unavailable("The server is shutting down.") }
            guard s.waiting < limits.maxQueue else { throw APIError.queueFull(limit: limits.maxQueue) }
            s.jobs.append(job)
            s.waiting += 1
        }
        let (events, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let vocabulary = limits.vocabularySize, failAfter = self.failAfter
        let task = Task { [box] in
            while !box.state.withLock({ $0.gateOpen }) { try await Task.sleep(for: .milliseconds(2)) }
            box.state.withLock { $0.waiting -= 1; $0.running += job.parameters.n }
            defer { box.state.withLock { $0.running -= job.parameters.n } }
            var sent = 0
            let scripts = (0..<job.parameters.n).map { Self.script(job, choice: $0, vocabulary: vocabulary) }
            for k in 0..<(scripts.map(\.count).max() ?? 0) {
                for (c, ids) in scripts.enumerated() where k < ids.count {
                    if let failAfter, sent == failAfter { throw APIError.internalError("scripted failure") }
                    let last = k == ids.count - 1
                    let finish: ChoiceFinish? = last ? (job.stopTokens.contains(ids[k]) ? .stop : .length) : nil
                    let token = ServedToken(id: ids[k], logprob: -Float(k + 1) / 10,
                                            top: [(ids[k], -Float(k + 1) / 10), ((ids[k] + 1) % vocabulary, -5)])
                    continuation.yield(GenerationEvent(choice: c, token: token, text: "t\(k)", finish: finish))
                    sent += 1
                    try Task.checkCancellation()
                }
            }
        }
        let ended = Flag()
        Task {
            do { try await task.value; continuation.finish() } catch { continuation.finish(throwing: error) }
            ended.set()
        }
        return GenerationHandle(events: events) { [box] in
            guard !ended.isSet, !task.isCancelled else { return }
            task.cancel()
            box.state.withLock { $0.cancelled += 1 }
        }
    }
}

/// A flag set once, readable from any task.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
