import Foundation
@testable import SwiftTuneCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// ``FolderTransaction``: whole-folder swaps (exchange and fallback), kept entries, failure paths, leftovers of a
/// killed writer and their recovery.
@Suite("Folder transactions")
struct FolderTransactionTests {
    /// A PID no process can have (above any `pid_max`), for leftovers of a "dead" writer.
    static let deadPID = pid_t.max - 1

    /// `name → contents` of every regular file under `folder` (relative paths).
    static func contents(_ folder: URL) throws -> [String: String] {
        var out: [String: String] = [:]
        let base = folder.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: base) else { return [:] }
        for case let relative as String in walker {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: base + "/" + relative, isDirectory: &isDirectory)
            if !isDirectory.boolValue { out[relative] = try String(contentsOfFile: base + "/" + relative, encoding: .utf8) }
        }
        return out
    }

    static func write(_ files: [String: String], into folder: URL) throws {
        for (name, text) in files {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
    }

    static func hiddenEntries(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(".") }.sorted()
    }

    @Test func createsAMissingFolderAndItsParents() throws {
        try withSafetensorsScratchDirectory { directory in
            let target = directory.appendingPathComponent("a/b/model")
            try FolderTransaction.write(to: target) { try Self.write(["config.json": "new"], into: $0) }
            #expect(try Self.contents(target) == ["config.json": "new"])
            #expect(try Self.hiddenEntries(target.deletingLastPathComponent()).isEmpty)
        }
    }

    @Test(arguments: [true, false])
    func replacesTheWholeFolder(exchange: Bool) throws {
        try withSafetensorsScratchDirectory { directory in
            let target = directory.appendingPathComponent("checkpoint-2")
            try Self.write(["state.json": "old", "stale.bin": "old", "sub/x": "old"], into: target)
            let transaction = try FolderTransaction(replacing: target)
            transaction.allowsExchange = exchange
            #expect(transaction.staging.lastPathComponent == ".checkpoint-2.swifttune-tmp-\(getpid())")
            try Self.write(["state.json": "new"], into: transaction.staging)
            #expect(try Self.contents(target)["state.json"] == "old", "the target changed before commit")
            try transaction.commit()
            #expect(try Self.contents(target) == ["state.json": "new"])
            #expect(try Self.hiddenEntries(directory).isEmpty, "staging or aside folder left behind")
        }
    }

    @Test(arguments: [true, false])
    func keepsOtherEntriesAsHardLinks(exchange: Bool) throws {
        try withSafetensorsScratchDirectory { directory in
            let target = directory.appendingPathComponent("run")
            try Self.write(["adapter_config.json": "old config", "adapter_model.safetensors": "old weights",
                            "adapter_model.bin": "older weights", "logging.jsonl": "log",
                            "checkpoint-2/trainer_state.json": "state"], into: target)
            let transaction = try FolderTransaction(
                replacing: target, keeping: .everythingExcept(PEFTAdapterFolder.ownedFileNames))
            transaction.allowsExchange = exchange
            try Self.write(["adapter_config.json": "new config", "adapter_model.safetensors": "new weights"],
                           into: transaction.staging)
            let before = try FileManager.default.attributesOfItem(atPath: target.appendingPathComponent("logging.jsonl").path)
            try transaction.commit()
            #expect(try Self.contents(target) == ["adapter_config.json": "new config", "adapter_model.safetensors": "new weights",
                                                  "logging.jsonl": "log", "checkpoint-2/trainer_state.json": "state"])
            let after = try FileManager.default.attributesOfItem(atPath: target.appendingPathComponent("logging.jsonl").path)
            #expect(before[.systemFileNumber] as? UInt64 == after[.systemFileNumber] as? UInt64,
                    "a kept file should be the same inode (hard link), not a copy")
            #expect(try Self.hiddenEntries(directory).isEmpty)
        }
    }

    /// A folder that cannot be swapped (a mount point, an unwritable parent) is written file by file in place.
    @Test func writesInPlaceWhereTheFolderCannotBeSwapped() throws {
        try withSafetensorsScratchDirectory { directory in
            let run = directory.appendingPathComponent("run")
            try Self.write(["adapter_config.json": "old config", "adapter_model.safetensors": "old weights",
                            "adapter_model.bin": "older", "logging.jsonl": "log", "checkpoint-1/state": "s",
                            ".run.swifttune-tmp-\(Self.deadPID)/x": "a killed in-place write"], into: run)
            #expect(FolderTransaction.canSwap(run.path, in: directory.path), "a plain folder in a writable parent")
            let adapter = try FolderTransaction(replacing: run, keeping: .everythingExcept(PEFTAdapterFolder.ownedFileNames),
                                                forceInPlace: true)
            #expect(adapter.isInPlace && adapter.staging.deletingLastPathComponent().path == run.path)
            try Self.write(["adapter_config.json": "new config", "adapter_model.safetensors": "new weights"], into: adapter.staging)
            try adapter.commit()
            #expect(try Self.contents(run) == ["adapter_config.json": "new config", "adapter_model.safetensors": "new weights",
                                               "logging.jsonl": "log", "checkpoint-1/state": "s"])
            #expect(try Self.hiddenEntries(run).isEmpty && Self.hiddenEntries(directory).isEmpty)

            let checkpoint = run.appendingPathComponent("checkpoint-1")
            try Self.write([FolderLock.fileName: "1"], into: checkpoint)
            let whole = try FolderTransaction(replacing: checkpoint, keeping: .nothing, forceInPlace: true)
            try Self.write(["state.json": "new"], into: whole.staging)
            try whole.commit()
            #expect(try Self.contents(checkpoint) == ["state.json": "new", FolderLock.fileName: "1"])
        }
    }

    @Test func aFailingBodyLeavesTheTargetAndNoStaging() throws {
        struct Boom: Error {}
        try withSafetensorsScratchDirectory { directory in
            let target = directory.appendingPathComponent("model")
            try Self.write(["config.json": "old"], into: target)
            #expect(throws: Boom.self) {
                try FolderTransaction.write(to: target) { staging in
                    try Self.write(["config.json": "half"], into: staging)
                    throw Boom()
                }
            }
            #expect(try Self.contents(target) == ["config.json": "old"])
            #expect(try Self.hiddenEntries(directory).isEmpty)
            // Abandoning a transaction without commit() or abort() removes its staging folder too.
            do { _ = try FolderTransaction(replacing: target) }
            #expect(try Self.hiddenEntries(directory).isEmpty)
        }
    }

    @Test func refusesToReplaceAFile() throws {
        try withSafetensorsScratchDirectory { directory in
            let target = directory.appendingPathComponent("model")
            try Data("x".utf8).write(to: target)
            #expect(throws: FolderTransactionError.notAFolder(path: target.path)) {
                try FolderTransaction.write(to: target) { _ in }
            }
            #expect(FolderTransactionError.notAFolder(path: target.path).description.contains(target.path))
            #expect(try Self.hiddenEntries(directory).isEmpty)
        }
    }

    @Test func followsASymbolicLinkToTheFolder() throws {
        try withSafetensorsScratchDirectory { directory in
            let real = directory.appendingPathComponent("disk/run"), link = directory.appendingPathComponent("run")
            try Self.write(["config.json": "old"], into: real)
            try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
            try FolderTransaction.write(to: link) { try Self.write(["config.json": "new"], into: $0) }
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == real.path)
            #expect(try Self.contents(real) == ["config.json": "new"])
            #expect(try Self.hiddenEntries(real.deletingLastPathComponent()).isEmpty)
        }
    }

    @Test func parsesOnlyItsOwnNames() {
        let parsed = FolderTransaction.parseLeftover(".checkpoint-2.swifttune-tmp-123")
        #expect(parsed?.name == "checkpoint-2" && parsed?.kind == .staging && parsed?.pid == 123)
        let aside = FolderTransaction.parseLeftover(".my.model.swifttune-old-7")
        #expect(aside?.name == "my.model" && aside?.kind == .aside && aside?.pid == 7)
        for other in [".swifttune.lock", "checkpoint-2.swifttune-tmp-123", ".x.swifttune-tmp-", ".x.swifttune-tmp-12a", ".swifttune-tmp-5", ".x.partial-3",
                      ".x.swifttune-tmp--3", ".x.swifttune-tmp-0"] {
            #expect(FolderTransaction.parseLeftover(other) == nil, "\(other)")
        }
        #expect(FolderTransaction.leftoverName(of: "out", kind: .aside, pid: 42) == ".out.swifttune-old-42")
    }

    /// A killed writer's staging folders are deleted; an aside copy is restored when its folder is missing and
    /// deleted when it is not; live writers' folders and other names are left alone.
    @Test func cleansLeftoversOfDeadWritersOnly() throws {
        try withSafetensorsScratchDirectory { directory in
            let dead = Self.deadPID
            try Self.write([".a.swifttune-tmp-\(dead)/config.json": "partial", ".b.swifttune-old-\(dead)/config.json": "old b",
                            "b/config.json": "new b", ".c.swifttune-old-\(dead)/config.json": "old c",
                            ".c.swifttune-tmp-\(dead)/config.json": "new c, not flushed", ".d.swifttune-tmp-\(getpid())/x": "live",
                            ".swifttune.lock": "1", ".hidden/x": "user's", ".x.tmp-\(dead)/x": "another tool's"],
                           into: directory)
            try Data("a file".utf8).write(to: directory.appendingPathComponent(".g.swifttune-tmp-\(dead)"))
            let handled = FolderTransaction.removeLeftovers(in: directory)
            #expect(Set(handled) == [".a.swifttune-tmp-\(dead)", ".b.swifttune-old-\(dead)", ".c.swifttune-old-\(dead)", ".c.swifttune-tmp-\(dead)"])
            #expect(try Self.hiddenEntries(directory) == [".d.swifttune-tmp-\(getpid())", ".g.swifttune-tmp-\(dead)",
                                                          ".hidden", ".swifttune.lock", ".x.tmp-\(dead)"])
            #expect(try Self.contents(directory.appendingPathComponent("b")) == ["config.json": "new b"])
            #expect(try Self.contents(directory.appendingPathComponent("c")) == ["config.json": "old c"])
            // The next transaction in the folder does the same.
            try Self.write([".e.swifttune-tmp-\(dead)/x": "partial"], into: directory)
            try FolderTransaction.write(to: directory.appendingPathComponent("f")) { _ in }
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(".e.swifttune-tmp-\(dead)").path))
        }
    }

    /// A reader that finds the folder missing (a fallback swap killed between its renames) gets the old one back.
    @Test func readersRecoverTheAsideCopy() throws {
        try withSafetensorsScratchDirectory { directory in
            let target = directory.appendingPathComponent("adapter")
            try Self.write([".adapter.swifttune-old-\(Self.deadPID)/adapter_config.json": "old"], into: directory)
            FolderTransaction.recover(target)
            #expect(try Self.contents(target) == ["adapter_config.json": "old"])
            #expect(try Self.hiddenEntries(directory).isEmpty)
            FolderTransaction.recover(directory.appendingPathComponent("absent"))   // nothing to do, no error
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("absent").path))
        }
    }

    /// While one thread replaces a folder over and over, another reads it through one directory descriptor at a
    /// time: the folder always exists, and the two files it reads from one folder always belong together.
    @Test func readersNeverSeeAMix() throws {
        try withSafetensorsScratchDirectory { directory in
            let target = directory.appendingPathComponent("model")
            try Self.write(["config.json": "0", "weights": "0"], into: target)
            let done = ReaderState()
            let reader = Thread {
                defer { done.markFinished() }
                func read(_ dir: Int32, _ name: String) -> String? {
                    let fd = openat(dir, name, O_RDONLY)
                    guard fd >= 0 else { return nil }
                    defer { close(fd) }
                    var buffer = [UInt8](repeating: 0, count: 64)
                    let n = Glibc.read(fd, &buffer, 64)
                    return n < 0 ? nil : String(decoding: buffer[0..<n], as: UTF8.self)
                }
                while !done.isSet {
                    let dir = open(target.path, O_RDONLY | O_DIRECTORY)
                    guard dir >= 0 else { done.fail("the folder was missing"); return }
                    if let a = read(dir, "config.json"), let b = read(dir, "weights"), a != b {
                        done.fail("config \(a) beside weights \(b)")
                    }
                    close(dir)
                }
            }
            reader.start()
            for i in 1...40 {
                try FolderTransaction.write(to: target) { try Self.write(["config.json": "\(i)", "weights": "\(i)"], into: $0) }
            }
            done.set()
            while !done.readerFinished { usleep(1_000) }
            #expect(done.failure == nil, "\(done.failure ?? "")")
            #expect(try Self.contents(target) == ["config.json": "40", "weights": "40"])
        }
    }
}

/// A stop flag and a failure message shared with the reader thread.
private final class ReaderState: @unchecked Sendable {
    private let lock = NSLock()
    private var stop = false
    private var finished = false
    private(set) var failure: String?
    var isSet: Bool { lock.withLock { stop } }
    var readerFinished: Bool { lock.withLock { finished || failure != nil } }
    func set() { lock.withLock { stop = true } }
    func fail(_ message: String) { lock.withLock { failure = failure ?? message; stop = true } }
    func markFinished() { lock.withLock { finished = true } }
}
