import Foundation
import SwiftTuneCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `kill -9` at named moments of every kind of folder write (checkpoint, adapter, export into an existing folder),
/// through the built binary and `SWIFTTUNE_FAULT_INJECT` (the process SIGKILLs itself at the point): the folder a
/// reader finds is loadable and entirely the old or entirely the new one, and the next write cleans the leftovers.
/// Also: two runs on one output, and SIGINT / SIGTERM exit statuses. Serialized: each test runs several processes.
@Suite("Faults", .serialized)
struct FaultTests {
    /// Kill points, whether the old folder survives them, and the extra token each needs.
    static let points: [(fault: String, keepsOld: Bool)] = [
        ("prepared", true), ("staged", true), ("exchanged", false), ("no-exchange,aside", true),
    ]

    static func arguments(data: String, output: URL, variant: Bool) -> [String] {
        ["sft", "--model", repositoryPath("Defaults/model"), "--dataset", data, "--output", output.path,
         "--lora-rank", "2", "--max-length", "64", "--batch-size", "2", "--gradient-accumulation-steps", "1",
         "--max-steps", "2", "--save-steps", "1", "--logging-steps", "1", "--threads", "1"]
            + (variant ? ["--learning-rate", "1e-3", "--lora-alpha", "8"] : [])
    }

    /// An old run and a reference run of the variant (what a complete new write produces), in `folder`.
    static func trainOldAndNew(in folder: URL, data: String) throws -> (old: URL, new: URL) {
        let old = folder.appendingPathComponent("old/run"), new = folder.appendingPathComponent("new/run")
        for (url, variant) in [(old, false), (new, true)] {
            let child = try SwiftTuneBinary.run(arguments(data: data, output: url, variant: variant), logs: folder)
            guard child.exitStatus == 0 else { throw CommandFailure("setup run failed: \(child.report)") }
        }
        return (old, new)
    }

    /// A copy of the old run's folder to kill a write into.
    static func copy(_ run: URL, to parent: URL) throws -> URL {
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let destination = parent.appendingPathComponent(run.lastPathComponent)
        try FileManager.default.copyItem(at: run, to: destination)
        return destination
    }

    /// One old and one new training run serve both: the kills during checkpoint writes, then during the final
    /// adapter write.
    @Test func killDuringCheckpointAndAdapterWrites() throws {
        let folder = try temporaryFolder("fault-training")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try head("Defaults/data/train.jsonl", 16, into: folder)
        let (old, new) = try Self.trainOldAndNew(in: folder, data: data)
        try checkpointKills(folder: folder.appendingPathComponent("checkpoint"), data: data, old: old, new: new)
        try adapterKills(folder: folder.appendingPathComponent("adapter"), data: data, old: old, new: new)
    }

    func checkpointKills(folder: URL, data: String, old: URL, new: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let oldCheckpoint = try folderSnapshot(old.appendingPathComponent("checkpoint-2"))
        let newCheckpoint = try folderSnapshot(new.appendingPathComponent("checkpoint-2"))
        #expect(oldCheckpoint.keys.sorted() == ["optimizer.safetensors", "trainable.safetensors", "trainer_state.json"])
        #expect(oldCheckpoint != newCheckpoint, "the variant must write different bytes")
        for (index, point) in Self.points.enumerated() {
            let run = try Self.copy(old, to: folder.appendingPathComponent("kill-\(index)"))
            let checkpoint = run.appendingPathComponent("checkpoint-2")
            let killed = try SwiftTuneBinary.run(Self.arguments(data: data, output: run, variant: true),
                                                 fault: point.fault + "@checkpoint-2", logs: folder)
            #expect(killed.killedBy == SIGKILL, "\(point.fault): \(killed.report)")
            #expect(try !transactionLeftovers(run).isEmpty, "\(point.fault): the kill left no staging folder")
            if point.fault.hasSuffix("aside") {
                #expect(!FileManager.default.fileExists(atPath: checkpoint.path), "killed between the two renames")
            } else {
                let found = try folderSnapshot(checkpoint)
                #expect(found == (point.keepsOld ? oldCheckpoint : newCheckpoint), "\(point.fault): a mix of old and new")
            }
            // Loadable: resuming from it (the loader restores an aside copy) continues the run that wrote it; its
            // own writes into the folder clean up the killed run's leftovers.
            let resumed = try SwiftTuneBinary.run(
                Self.arguments(data: data, output: run, variant: !point.keepsOld) + ["--resume-from-checkpoint", checkpoint.path],
                logs: folder)
            #expect(resumed.exitStatus == 0 && resumed.stdout.contains("resumed at step 2"), "\(point.fault): \(resumed.report)")
            #expect(try folderSnapshot(checkpoint) == (point.keepsOld ? oldCheckpoint : newCheckpoint), "\(point.fault)")
            #expect(try transactionLeftovers(run).isEmpty, "\(point.fault): leftovers not cleaned")
        }
    }

    func adapterKills(folder: URL, data: String, old: URL, new: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func adapter(_ run: URL) throws -> [String: Data] {
            try folderSnapshot(run).filter { PEFTAdapterFolder.ownedFileNames.contains($0.key) }
        }
        let oldAdapter = try adapter(old), newAdapter = try adapter(new)
        #expect(oldAdapter.count == 2 && newAdapter.count == 2)
        #expect(oldAdapter[PEFTAdapterFolder.configurationFileName] != newAdapter[PEFTAdapterFolder.configurationFileName])
        #expect(oldAdapter[PEFTAdapterFolder.weightsFileName] != newAdapter[PEFTAdapterFolder.weightsFileName])
        let base = URL(fileURLWithPath: repositoryPath("Defaults/model"))
        for (index, point) in Self.points.enumerated() {
            let parent = folder.appendingPathComponent("kill-\(index)")
            let run = try Self.copy(old, to: parent)
            let killed = try SwiftTuneBinary.run(Self.arguments(data: data, output: run, variant: true),
                                                 fault: point.fault + "@run", logs: folder)
            #expect(killed.killedBy == SIGKILL, "\(point.fault): \(killed.report)")
            #expect(try !transactionLeftovers(parent).isEmpty, "\(point.fault): the kill left no staging folder")
            // Loadable as it is (the loader restores an aside copy), and entirely the old or the new adapter.
            let model = try ModelFolder(base).load(Float.self)
            try model.loadLoRAAdapter(from: run)
            #expect(try adapter(run) == (point.keepsOld ? oldAdapter : newAdapter), "\(point.fault): config and weights mixed")
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("logging.jsonl").path))
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoint-1").path))
            // The next write into the same parent folder removes the killed writer's folders.
            let next = try SwiftTuneBinary.run(["export", "--model", base.path, "--output", parent.appendingPathComponent("other").path],
                                               logs: folder)
            #expect(next.exitStatus == 0, "\(next.report)")
            #expect(try transactionLeftovers(parent).isEmpty, "\(point.fault): leftovers not cleaned")
        }
    }

    @Test func killDuringAnExportIntoAnExistingFolder() throws {
        let folder = try temporaryFolder("fault-export")
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = repositoryPath("Defaults/model")
        func export(_ output: URL, nf4: Bool, fault: String? = nil) throws -> SwiftTuneBinary.Child {
            try SwiftTuneBinary.run(["export", "--model", base, "--output", output.path] + (nf4 ? ["--quantize", "nf4"] : []),
                                    fault: fault, logs: folder)
        }
        let old = folder.appendingPathComponent("old/model"), new = folder.appendingPathComponent("new/model")
        #expect(try export(old, nf4: false).exitStatus == 0)
        #expect(try export(new, nf4: true).exitStatus == 0)
        let oldFiles = try folderSnapshot(old), newFiles = try folderSnapshot(new)
        #expect(oldFiles["config.json"] != newFiles["config.json"] && oldFiles["model.safetensors"] != newFiles["model.safetensors"])
        for (index, point) in Self.points.enumerated() {
            let parent = folder.appendingPathComponent("kill-\(index)")
            let target = try Self.copy(old, to: parent)
            let killed = try export(target, nf4: true, fault: point.fault + "@model")
            #expect(killed.killedBy == SIGKILL, "\(point.fault): \(killed.report)")
            let model = try ModelFolder(target)   // restores an aside copy
            _ = try model.load(Float.self)
            #expect(try folderSnapshot(target) == (point.keepsOld ? oldFiles : newFiles), "\(point.fault): a mix of two models")
            let next = try export(target, nf4: false)
            #expect(next.exitStatus == 0, "\(next.report)")
            #expect(try folderSnapshot(target) == oldFiles)
            #expect(try transactionLeftovers(parent).isEmpty, "\(point.fault): leftovers not cleaned")
        }
    }

    /// A long run, started in the background, with its first step logged (the signal handlers are installed).
    static func startLongRun(in folder: URL, output: URL) throws -> SwiftTuneBinary.Child {
        let data = try head("Defaults/data/train.jsonl", 8, into: folder)
        let child = try SwiftTuneBinary.Child(
            ["sft", "--model", repositoryPath("Defaults/model"), "--dataset", data, "--output", output.path,
             "--lora-rank", "2", "--max-length", "64", "--batch-size", "4", "--gradient-accumulation-steps", "1",
             "--max-steps", "100000", "--save-steps", "0", "--logging-steps", "1", "--threads", "1"],
            fault: nil, logs: folder)
        let log = output.appendingPathComponent("logging.jsonl")
        let started = eventually {
            !child.process.isRunning || ((try? String(contentsOf: log, encoding: .utf8))?.contains("\"step\"") ?? false)
        }
        guard started, child.process.isRunning else {
            if child.process.isRunning { kill(child.pid, SIGKILL) }
            throw CommandFailure("the long run did not start: \(child.wait().report)")
        }
        return child
    }

    @Test func aSecondRunOnTheSameOutputIsRefusedWithThePID() throws {
        let folder = try temporaryFolder("fault-lock")
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("run")
        let first = try Self.startLongRun(in: folder, output: output)
        defer { if first.process.isRunning { kill(first.pid, SIGKILL); first.process.waitUntilExit() } }
        let data = try head("Defaults/data/train.jsonl", 4, into: folder)
        let second = try SwiftTuneBinary.run(["sft", "--model", repositoryPath("Defaults/model"), "--dataset", data,
                                              "--output", output.path, "--max-steps", "1"], logs: folder)
        #expect(second.exitStatus == 1 && second.stderr.contains("\(output.path) is locked by PID \(first.pid)"), "\(second.report)")
        let export = try SwiftTuneBinary.run(["export", "--model", repositoryPath("Defaults/model"), "--output", output.path],
                                             logs: folder)
        #expect(export.exitStatus == 1 && export.stderr.contains("locked by PID \(first.pid)"), "\(export.report)")
        // kill -9 of the holder releases the lock (the kernel drops it with the process).
        kill(first.pid, SIGKILL)
        first.process.waitUntilExit()
        let after = try SwiftTuneBinary.run(["export", "--model", repositoryPath("Defaults/model"), "--output", output.path],
                                            logs: folder)
        #expect(after.exitStatus == 0, "\(after.report)")
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func aSignalSavesACheckpointAndExitsNonZero(signal: Int32, status: Int32) throws {
        let folder = try temporaryFolder("fault-signal")
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("run")
        let child = try Self.startLongRun(in: folder, output: output)
        kill(child.pid, signal)
        if !eventually({ !child.process.isRunning }) { kill(child.pid, SIGKILL) }   // never hang the suite
        _ = child.wait()
        #expect(child.exitStatus == status, "\(child.report)")
        // "interrupted by SIGINT after step N: checkpoint saved at <output>/checkpoint-N"
        let line = child.stdout.split(separator: "\n").first { $0.contains("checkpoint saved at") }.map(String.init) ?? ""
        let path = line.components(separatedBy: "checkpoint saved at ").last ?? ""
        #expect(line.contains(signal == SIGINT ? "SIGINT" : "SIGTERM") && path.hasPrefix(output.path + "/checkpoint-"),
                "\(child.report)")
        let checkpoint = URL(fileURLWithPath: path)
        let state = try JSONSerialization.jsonObject(with: Data(contentsOf: checkpoint.appendingPathComponent("trainer_state.json")))
        let step = (state as? [String: Any])?["step"] as? Int
        #expect(step.map { path.hasSuffix("checkpoint-\($0)") && $0 >= 1 } == true, "trainer_state.json: \(state)")
        let weights = try SafetensorsFile(contentsOf: checkpoint.appendingPathComponent("trainable.safetensors"))
        #expect(!weights.tensorNames.isEmpty)
        _ = try SafetensorsFile(contentsOf: checkpoint.appendingPathComponent("optimizer.safetensors"))
        #expect(try transactionLeftovers(output).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent(PEFTAdapterFolder.weightsFileName).path),
                "an interrupted run saved the final adapter")
    }
}
