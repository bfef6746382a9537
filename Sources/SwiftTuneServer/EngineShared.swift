import Foundation
import NIOConcurrencyHelpers

/// What the engine thread and the request tasks share: the inbox of new and cancelled jobs, the load counters and
/// the shutdown state, behind one lock; a semaphore wakes the idle engine thread.
final class EngineShared: Sendable {
    /// A submitted job on its way to the engine thread.
    struct Pending: Sendable {
        let id: Int
        let job: GenerationJob
        let continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation
    }

    struct State {
        var submitted: [Pending] = []
        var cancelled: [Int] = []
        var nextID = 0
        /// Jobs submitted and not yet given rows.
        var waiting = 0
        var runningRows = 0
        var generatedTokens = 0
        var accepting = true
        /// Set by shutdown: whether running rows are cancelled (true) or finished (false).
        var shutdown: Bool?
        var stopped = false
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(State())
    private let wake = DispatchSemaphore(value: 0)

    /// Queues a job. - Throws: 503 while shutting down, 429 past `maxQueue` waiting jobs.
    func enqueue(_ job: GenerationJob, continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation,
                 maxQueue: Int) throws(APIError) -> Int {
        let outcome = state.withLockedValue { (s: inout State) -> Result<Int, APIError> in
            guard s.accepting else { return .failure(APIError.unavailable("The server is shutting down.")) }
            guard s.waiting < maxQueue else { return .failure(APIError.queueFull(limit: maxQueue)) }
            let id = s.nextID
            s.nextID += 1
            s.waiting += 1
            s.submitted.append(Pending(id: id, job: job, continuation: continuation))
            return .success(id)
        }
        let id = try outcome.get()
        wake.signal()
        return id
    }

    func cancel(_ id: Int) {
        state.withLockedValue { $0.cancelled.append(id) }
        wake.signal()
    }

    func status() -> EngineStatus {
        state.withLockedValue { EngineStatus(waiting: $0.waiting, runningRows: $0.runningRows, accepting: $0.accepting,
                                        generatedTokens: $0.generatedTokens) }
    }

    func requestShutdown(cancelRunning: Bool) {
        state.withLockedValue {
            $0.accepting = false
            $0.shutdown = ($0.shutdown ?? false) || cancelRunning
        }
        wake.signal()
    }

    /// The engine thread's side: takes what arrived, blocking first while `idle` and nothing has.
    func take(idle: Bool) -> (submitted: [Pending], cancelled: [Int], shutdown: Bool?) {
        while true {
            let taken = state.withLockedValue { s -> (submitted: [Pending], cancelled: [Int], shutdown: Bool?)? in
                if idle && s.submitted.isEmpty && s.cancelled.isEmpty && s.shutdown == nil { return nil }
                defer { s.submitted = []; s.cancelled = [] }
                return (s.submitted, s.cancelled, s.shutdown)
            }
            if let taken { return taken }
            wake.wait()
        }
    }

    /// The engine thread's counters after a step.
    func update(waiting admitted: Int, runningRows: Int, generated: Int = 0) {
        state.withLockedValue {
            $0.waiting -= admitted
            $0.runningRows = runningRows
            $0.generatedTokens += generated
        }
    }

    func stopped() {
        let waiters = state.withLockedValue { s -> [CheckedContinuation<Void, Never>] in
            s.stopped = true
            s.accepting = false
            s.runningRows = 0
            defer { s.stopWaiters = [] }
            return s.stopWaiters
        }
        waiters.forEach { $0.resume() }
    }

    func waitUntilStopped() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = state.withLockedValue { s -> Bool in
                if s.stopped { return true }
                s.stopWaiters.append(c)
                return false
            }
            if done { c.resume() }
        }
    }
}
