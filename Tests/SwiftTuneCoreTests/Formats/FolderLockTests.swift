import Foundation
@testable import SwiftTuneCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// ``FolderLock``: one holder at a time, the holder's PID in the refusal, released on `release()` and deinit.
@Suite("Folder lock")
struct FolderLockTests {
    @Test func aSecondLockIsRefusedWithTheHoldersPID() throws {
        try withSafetensorsScratchDirectory { directory in
            let folder = directory.appendingPathComponent("out/run")
            let lock = try FolderLock(folder: folder)   // creates the folder
            let file = folder.appendingPathComponent(FolderLock.fileName)
            #expect(try String(contentsOf: file, encoding: .utf8) == "\(getpid())\n")
            let refusal = FolderLockError.locked(folder: folder.path, pid: getpid())
            #expect(throws: refusal) { _ = try FolderLock(folder: folder) }
            #expect(refusal.description.contains("\(folder.path) is locked by PID \(getpid())"))
            lock.release()
            lock.release()   // idempotent
            let again = try FolderLock(folder: folder)
            _ = again
        }
    }

    @Test func deinitReleasesTheLock() throws {
        try withSafetensorsScratchDirectory { directory in
            do { _ = try FolderLock(folder: directory) }
            let lock = try FolderLock(folder: directory)
            lock.release()
        }
    }

    @Test func aFileInTheWayIsACannotLockError() throws {
        try withSafetensorsScratchDirectory { directory in
            let file = directory.appendingPathComponent("plain")
            try Data("x".utf8).write(to: file)
            do {
                _ = try FolderLock(folder: file)
                Issue.record("locked a folder that is a file")
            } catch let error as FolderLockError {
                guard case let .cannotLock(path, _) = error else { Issue.record("\(error)"); return }
                #expect(path == file.path)
            }
        }
    }
}
