import Foundation
import SwiftTuneCore
#if canImport(Glibc)
import Glibc
#endif

/// Runs `pt` / `sft` / `rlhf`: load, attach the tuner, encode data into the run's ``TrainingObjective``, train with
/// progress on standard error and a `logging.jsonl` record per logged step, save. The three commands share this one
/// path and differ only in the objective.
struct TrainingJob {
    /// What the job trains on.
    enum Objective {
        /// Language modelling (``SFTObjective``) with loss on the tokens of `scope` (`pt`: all, `sft`: assistant).
        case language(LossScope)
        /// Preference alignment (``PreferenceObjective`` / ``KTOObjective``), `rlhf`.
        case preference(RLHFOptions)
    }

    let options: TrainOptions
    let objective: Objective

    init(options: TrainOptions, objective: Objective) {
        self.options = options
        self.objective = objective
    }

    /// `pt` / `sft`: language modelling with loss on `scope`.
    init(options: TrainOptions, scope: LossScope) { self.init(options: options, objective: .language(scope)) }

    func run() throws {
        if let threads = options.threads { Runtime.threadCount = threads }
        let configuration = try options.trainingConfiguration()
        let modelURL = URL(fileURLWithPath: options.model)
        let outputURL = URL(fileURLWithPath: options.output)
        let lock = try FolderLock(folder: outputURL)   // a second run on this --output fails at once, naming the PID
        defer { lock.release() }
        let tokenizer = try Tokenizer(directory: modelURL)
        let folder = try ModelFolder(modelURL)
        // QLoRA: quantize each layer as it is read, so the float32 projections never exist all at once.
        let model = try folder.load(Float.self, quantizingProjectionsToNF4: options.quantize == "nf4" && !options.isFull)
        let tuner = try ModelTransforms.attachTuner(to: model, options: options, seed: configuration.seed)
        let maxLength = configuration.effectiveMaxLength(modelMaxPositions: model.configuration.maxPositions)
        if let asked = configuration.maxLength, asked > maxLength {
            Console.status("note: --max-length \(asked) is more than the model's max_position_embeddings; using \(maxLength)\n")
        }
        let scope: LossScope
        if case let .language(s) = objective { scope = s } else { scope = .assistantTokens }
        let encoder = try options.templateOptions.encoder(tokenizer: tokenizer, scope: scope, maxLength: maxLength,
                                                          truncation: configuration.truncationStrategy)
        let vocabulary = model.configuration.vocabularySize
        let trainer: Trainer
        let units: String
        do {
            let built: any TrainingObjective
            switch objective {
            case .language:
                let train = try encode(options.dataset, encoder, validation: false, configuration: configuration, vocabularySize: vocabulary)
                let validation = try encode(options.valDataset, encoder, validation: true, configuration: configuration,
                                            vocabularySize: vocabulary)
                built = try SFTObjective(model: model, samples: train, validationSamples: validation, configuration: configuration)
                units = "\(train.count) samples"
            case let .preference(rlhf):
                (built, units) = try preferenceObjective(rlhf, model: model, encoder: encoder, tokenizer: tokenizer,
                                                         configuration: configuration)
            }
            trainer = try Trainer(model: model, objective: built, configuration: configuration)
        } catch let error as TrainingError {
            if case .outOfRange = error { throw CommandError(OptionRange.commandLine(error).message) }
            throw error
        }
        ModelTransforms.prepareTraining(model, trainer: trainer)
        let trainable = trainer.parameters.reduce(0) { $0 + $1.value.count }
        let tunerName = options.isFull ? "full" : options.useDoRA ? "dora" : "lora"
        print("model \(folder.configuration.architecture.rawValue): \(model.parameterCount) parameters, "
              + "\(trainable) trainable (\(tunerName)\(model.hasNF4Projections ? " over nf4" : "")); "
              + "\(units) → \(trainer.totalSteps) steps of \(configuration.batchSize) × \(trainer.accumulationSteps); "
              + String(format: "lr %.2e %@", trainer.schedule.peak, configuration.lrScheduler.name)
              + " (\(trainer.schedule.warmupSteps) warmup); \(Runtime.threadCount) threads")
        if let checkpoint = options.resumeFromCheckpoint {
            for note in try trainer.resume(from: URL(fileURLWithPath: checkpoint)) { Console.status("note: \(note)\n") }
            print("resumed at step \(trainer.step) from \(checkpoint)")
        }
        try FileManager.default.createDirectory(at: outputURL, withIntermediateDirectories: true)
        InterruptSignals.install()
        defer { InterruptSignals.uninstall() }
        let log = try TrainingLog(url: outputURL.appendingPathComponent("logging.jsonl"), resumedStep: trainer.step)
        let initialValidation = try trainer.validationLoss()
        if let initialValidation { print(String(format: "validation loss before training: %.4f", initialValidation)) }
        var logError: Error?
        var pending = LoggedMetrics()
        try trainer.train(onProgress: { p in
            let logged = configuration.isLoggingStep(p.step, totalSteps: p.totalSteps) || p.validationLoss != nil || p.skipped
            var p = p
            pending.add(p.metrics)
            if logged { p.metrics = pending.flush() }   // TRL: the metrics' mean over the steps since the last log
            if logged && logError == nil {
                func number(_ x: Double?) -> Any { x.flatMap { $0.isFinite ? $0 : nil } ?? NSNull() }   // JSON has no NaN
                var record: [String: Any] = [
                    "step": p.step, "loss": number(p.loss), "learning_rate": p.learningRate, "grad_norm": number(p.gradientNorm),
                    "epoch": p.epoch, "tokens_per_second": p.tokensPerSecond, "elapsed_seconds": p.elapsedSeconds,
                    "memory_mb": p.residentMemoryMB, "val_loss": number(p.validationLoss)]
                for (key, value) in p.metrics where record[key] == nil { record[key] = number(value) }   // e.g. rewards/chosen
                for (key, value) in p.validationMetrics where record["eval_" + key] == nil { record["eval_" + key] = number(value) }
                if case let .preference(rlhf) = objective { record["rlhf_type"] = rlhf.rlhfType.rawValue }
                if configuration.skipNonFiniteSteps {
                    record["skipped"] = p.skipped
                    record["skipped_nonfinite_steps"] = p.skippedStepsSoFar
                }
                do { try log.append(record) } catch { logError = error }
            }
            Console.training(p, logged: logged)
            return InterruptSignals.requested || logError != nil ? .stop : .proceed
        }, onCheckpoint: { t in
            let url = outputURL.appendingPathComponent("checkpoint-\(t.step)")
            try t.saveCheckpoint(to: url)
        })
        Console.endBar()
        if let logError { throw logError }
        if trainer.skippedSteps > 0 {
            print("skipped \(trainer.skippedSteps) of \(trainer.step) steps whose loss or gradient norm was not finite "
                  + "(--skip-nonfinite-steps)")
        }
        if InterruptSignals.requested {
            print("interrupted by \(InterruptSignals.name) after step \(trainer.step): checkpoint saved at "
                  + outputURL.appendingPathComponent("checkpoint-\(trainer.step)").path)
            throw InterruptSignals.exitCode
        }
        try ModelTransforms.saveResult(model: model, tuner: tuner, folder: folder, to: outputURL)
        try LossCurve.write(trainer.history, to: outputURL.appendingPathComponent("loss.svg"))
        if let last = trainer.history.last?.validationLoss {
            print(String(format: "validation loss after training: %.4f", last))
        }
        print("saved \(options.isFull ? "model" : "adapter") to \(outputURL.path)")
    }

    /// Reads, samples and encodes a `--dataset` / `--val-dataset` list: files in order, each `file#N` sampled as
    /// ms-swift samples it (``DatasetSource``; one NumPy random state seeded with `--seed` per list).
    ///
    /// Each sample is checked against the model's `vocabularySize` (ids, and labels other than −100); a row out of
    /// range is a ``DatasetError/badRow(file:line:reason:)`` naming its file and line.
    func encode(_ specifications: [String], _ encoder: SampleEncoder, validation: Bool,
                configuration: TrainingConfiguration, vocabularySize: Int? = nil) throws -> [Sample] {
        var samples: [Sample] = []
        var randomState: NumPyRandomState?
        for text in specifications {
            let source: DatasetSource
            do { source = try DatasetSource(parsing: text) } catch { throw CommandError("\(validation ? "--val-dataset" : "--dataset") \(error)") }
            let path = source.path
            let data = try JSONLDataset(contentsOf: URL(fileURLWithPath: path), skipBadRows: options.skipBadRows == true,
                                        maxRowBytes: options.maxRowBytes ?? JSONLDataset.defaultMaxRowBytes)
            for problem in data.skipped { Console.status("skipped \(problem)\n") }
            var indices = Array(data.rows.indices)
            if let n = source.sample {
                if validation {
                    // ms-swift loads --val_dataset with split_dataset_ratio 1 and val_dataset_shuffle false: the
                    // first N rows, and no more rows than the file has.
                    guard n <= data.rows.count else {
                        throw CommandError("--val-dataset \(DatasetSourceError.validationSampleTooLarge(text, rows: data.rows.count))")
                    }
                    indices = Array(0..<n)
                } else {
                    guard configuration.seed <= UInt64(UInt32.max) else {
                        throw CommandError("--dataset \(text): sampling needs --seed below 2^32 (NumPy's RandomState), not \(configuration.seed)")
                    }
                    if randomState == nil { randomState = NumPyRandomState(seed: UInt32(configuration.seed)) }
                    indices = source.rowIndices(count: data.rows.count, shuffle: configuration.shuffle, randomState: &randomState!)
                }
            }
            var dropped = 0, count = 0, fromPrefixes = 0
            for index in indices {
                let entry = data.rows[index]
                let encoded: SampleEncoder.Encoded
                do {
                    encoded = try encoder.encodeWithDetails(entry.row)
                    if let vocabularySize { try encoded.sample?.validate(vocabularySize: vocabularySize) }
                } catch {
                    throw DatasetError.badRow(file: path, line: entry.line, reason: "\(error)")
                }
                if encoded.labelsFromPrefixes { fromPrefixes += 1 }
                if let s = encoded.sample { samples.append(s); count += 1 } else { dropped += 1 }
            }
            if fromPrefixes > 0 {
                Console.status("\(path): in \(fromPrefixes) rows the chat template's pieces tokenize differently from the "
                               + "whole text; their assistant labels come from tokenizing prefixes of the text\n")
            }
            if dropped > 0 || !data.skipped.isEmpty || source.sample != nil {
                Console.status("\(text): \(count) samples\(source.sample != nil ? " of \(data.rows.count) rows" : ""), "
                               + "\(dropped) dropped (too long or nothing scored), \(data.skipped.count) malformed rows skipped\n")
            }
        }
        return samples
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds < 1e12 else { return "?" }   // Int(seconds) must not trap
        let s = Int(seconds)
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}

/// The loss curve as an SVG line chart (training loss per step, validation loss as dots).
enum LossCurve {
    static func write(_ history: [TrainingProgress], to url: URL) throws {
        let history = history.filter { $0.loss.isFinite }   // skipped non-finite steps have no point to draw
        guard !history.isEmpty else { return }
        let (w, h, m) = (640.0, 360.0, 48.0)
        let losses = history.map(\.loss) + history.compactMap(\.validationLoss)
        let (lo, hi) = (losses.min()!, max(losses.max()!, losses.min()! + 1e-9))
        let steps = Double(max(history.last!.step, 1))
        func x(_ s: Int) -> Double { m + (w - 2 * m) * Double(s) / steps }
        func y(_ v: Double) -> Double { h - m - (h - 2 * m) * (v - lo) / (hi - lo) }
        let points = history.map { String(format: "%.1f,%.1f", x($0.step), y($0.loss)) }.joined(separator: " ")
        let dots = history.compactMap { p in p.validationLoss.map { String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#d62728\"/>", x(p.step), y($0)) } }.joined()
        let svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(w))" height="\(Int(h))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <line x1="\(m)" y1="\(h - m)" x2="\(w - m)" y2="\(h - m)" stroke="black"/><line x1="\(m)" y1="\(m)" x2="\(m)" y2="\(h - m)" stroke="black"/>
        <text x="\(w / 2)" y="\(h - 12)" text-anchor="middle">step (\(history.last!.step))</text>
        <text x="\(m)" y="\(m - 8)">\(String(format: "loss %.3f", hi))</text><text x="\(m)" y="\(h - m + 16)">\(String(format: "%.3f", lo))</text>
        <polyline fill="none" stroke="#1f77b4" stroke-width="2" points="\(points)"/>\(dots)
        <text x="\(w - m)" y="\(m - 8)" text-anchor="end" fill="#1f77b4">train loss</text><text x="\(w - m)" y="\(m + 8)" text-anchor="end" fill="#d62728">● validation</text>
        </svg>
        """
        try Data(svg.utf8).write(to: url, options: .atomic)
    }
}
