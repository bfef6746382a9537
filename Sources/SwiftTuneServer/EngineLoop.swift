import Foundation
import SwiftTuneCore

/// The engine thread's state: the decoding session, the jobs waiting for rows, and each running row's job, choice
/// and incremental detokenizer. Only the engine thread touches it.
final class EngineLoop {
    /// A running row: which job and choice it serves, and its text so far.
    struct Row {
        let job: Int
        let choice: Int
        var text: TextStream
    }

    /// A job with rows: its stream and how many choices are still running.
    struct Running {
        let continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation
        var rows: [DecodingSession.RowID]
        var unfinished: Int
    }

    let session: DecodingSession
    let tokenizer: Tokenizer
    let shared: EngineShared
    let limits: EngineLimits
    let prefillChunk: Int
    var waiting: [EngineShared.Pending] = []
    var rows: [DecodingSession.RowID: Row] = [:]
    var running: [Int: Running] = [:]

    init(configuration: BatchingEngine.Configuration, tokenizer: Tokenizer, loaded: BatchingEngine.LoadedModel,
         shared: EngineShared) throws {
        let model = loaded.model
        let positions = model.configuration.maxPositions
        let length = min(configuration.maxModelLength ?? positions, positions)
        session = try DecodingSession(model: model, maxRows: configuration.maxBatchSize, maxLength: length,
                                      adapters: loaded.adapters)
        var eos = Set(model.configuration.endOfSequenceTokenIDs)
        if let id = tokenizer.eosTokenID { eos.insert(id) }
        limits = EngineLimits(maxModelLength: length, maxBatchSize: configuration.maxBatchSize, maxQueue: configuration.maxQueue,
                              vocabularySize: model.configuration.vocabularySize, endOfSequenceTokens: eos)
        self.tokenizer = tokenizer
        self.shared = shared
        self.prefillChunk = configuration.prefillChunk
    }

    /// Steps until shut down: take new and cancelled jobs, give free rows to waiting jobs (first come, first
    /// served), run one step, route its tokens.
    func run() {
        while true {
            let inbox = shared.take(idle: session.isIdle && waiting.isEmpty)
            waiting += inbox.submitted
            for id in inbox.cancelled { cancel(id) }
            if inbox.shutdown == true {
                cancelEverything(APIError.unavailable("The server is shutting down."))
                return
            }
            let admitted = admit()
            shared.update(waiting: admitted, runningRows: session.activeRows)
            if session.isIdle {
                if inbox.shutdown == false && waiting.isEmpty { return }
                continue
            }
            let events: [DecodingEvent]
            do { events = try session.step(prefillTokens: prefillChunk) } catch {
                cancelEverything(APIError.internalError("Decoding failed: \(error)"))
                continue
            }
            for event in events { route(event) }
            shared.update(waiting: 0, runningRows: session.activeRows, generated: events.count)
        }
    }

    /// Starts waiting jobs while the session has rows for all their choices; returns how many started.
    func admit() -> Int {
        var started = 0
        while let next = waiting.first, session.freeRows >= next.job.parameters.n {
            waiting.removeFirst()
            started += 1
            let job = next.job
            var ids: [DecodingSession.RowID] = []
            do {
                for choice in 0..<job.parameters.n {
                    let request = DecodingRequest(prompt: job.prompt, maxNewTokens: job.maxTokens,
                                                  sampling: Self.sampling(job, choice: choice), stopTokens: job.stopTokens,
                                                  topLogprobs: job.topLogprobs, adapter: job.adapter)
                    let row = try session.admit(request)
                    ids.append(row)
                    rows[row] = Row(job: next.id, choice: choice,
                                    text: TextStream(tokenizer: tokenizer, stopStrings: job.parameters.stop,
                                                     skipSpecialTokens: job.parameters.skipSpecialTokens))
                }
                running[next.id] = Running(continuation: next.continuation, rows: ids, unfinished: job.parameters.n)
            } catch {
                for row in ids { session.cancel(row); rows[row] = nil }
                next.continuation.finish(throwing: APIError.badRequest("The engine refused the request: \(error)"))
            }
        }
        return started
    }

    /// The sampling options of one choice: the request's, with the choice's seed.
    static func sampling(_ job: GenerationJob, choice: Int) -> SamplingOptions {
        let p = job.parameters
        var options = SamplingOptions(temperature: p.temperature, topK: p.topK, topP: p.topP,
                                      repetitionPenalty: p.repetitionPenalty, seed: job.seed(ofChoice: choice))
        options.minP = p.minP
        options.presencePenalty = p.presencePenalty
        options.frequencyPenalty = p.frequencyPenalty
        return options
    }

    /// One sampled token: its text through the row's ``TextStream``; a stop string cancels the row at once; a stop
    /// token's own text is left out (as `swifttune infer` and vLLM leave it out).
    func route(_ event: DecodingEvent) {
        guard var row = rows[event.row] else { return }
        var text = ""
        var finish: ChoiceFinish?
        switch event.finishReason {
        case .stop?:
            text = row.text.finish()
            finish = .stop
        case .length?:
            let delta = row.text.append(event.sampled.token)
            text = delta.text + (delta.stopped ? "" : row.text.finish())
            finish = delta.stopped ? .stop : .length
        case nil:
            let delta = row.text.append(event.sampled.token)
            text = delta.text
            if delta.stopped {
                session.cancel(event.row)
                finish = .stop
            }
        }
        rows[event.row] = finish == nil ? row : nil
        guard var job = running[row.job] else { return }
        let s = event.sampled
        job.continuation.yield(GenerationEvent(choice: row.choice,
                                               token: ServedToken(id: s.token, logprob: s.logprob,
                                                                  top: s.topLogprobs.map { ($0.token, $0.logprob) }),
                                               text: text, finish: finish))
        guard finish != nil else { return }
        job.unfinished -= 1
        if job.unfinished == 0 {
            job.continuation.finish()
            running[row.job] = nil
        } else {
            running[row.job] = job
        }
    }

    /// A job that is waiting leaves the queue; a running one frees its rows. Its stream ends without error.
    func cancel(_ id: Int) {
        if let index = waiting.firstIndex(where: { $0.id == id }) {
            let pending = waiting.remove(at: index)
            pending.continuation.finish()
            shared.update(waiting: 1, runningRows: session.activeRows)
        }
        guard let job = running.removeValue(forKey: id) else { return }
        for row in job.rows where rows[row] != nil {
            session.cancel(row)
            rows[row] = nil
        }
        job.continuation.finish()
    }

    /// Ends every job with `error` (a failed step, or shutdown with cancellation).
    func cancelEverything(_ error: APIError) {
        for pending in waiting { pending.continuation.finish(throwing: error) }
        shared.update(waiting: waiting.count, runningRows: 0)
        waiting = []
        for (_, job) in running {
            for row in job.rows where rows[row] != nil { session.cancel(row) }
            job.continuation.finish(throwing: error)
        }
        running = [:]
        rows = [:]
    }
}
