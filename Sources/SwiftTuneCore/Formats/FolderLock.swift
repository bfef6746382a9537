import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An advisory, exclusive lock on an output folder for the duration of a run, so that two runs never write one
/// folder at once: `flock(LOCK_EX | LOCK_NB)` on `<folder>/.swifttune.lock`, which holds the PID of the holder.
///
/// A second lock on the same folder — from another process, or another `FolderLock` in this one — fails at once
/// with ``FolderLockError/locked(folder:pid:)`` naming the holder's PID. The lock is released by ``release()``,
/// when the value is deinitialised, or by the kernel when the process dies in any way (`kill -9` included); the
/// lock file stays behind, harmless. Writers that replace the folder (``FolderTransaction`` with
/// ``FolderTransaction/Keeping/everythingExcept(_:)``) carry the lock file over as a hard link, so the lock
/// survives the swap.
///
/// ```swift
/// let lock = try FolderLock(folder: output)   // throws "…/run is locked by PID 4242 …"
/// defer { lock.release() }
/// ```
public final class FolderLock {
    /// The name of the lock file inside the locked folder.
    public static let fileName = ".swifttune.lock"

    /// The locked folder.
    public let folder: URL
    private var descriptor: Int32
    /// Whether this lock made `folder` (then a run that wrote nothing into it leaves no folder behind).
    private let createdFolder: Bool

    /// Creates `folder` if needed and locks it. A folder the lock created and nothing else wrote into is removed
    /// again on ``release()``, so a run refused after locking (a bad row, a bad option) leaves no output behind.
    /// - Throws: ``FolderLockError/locked(folder:pid:)`` when another run holds it;
    ///   ``FolderLockError/cannotLock(path:reason:)`` when the folder or lock file cannot be made.
    public init(folder: URL) throws {
        self.folder = folder
        let path = folder.appendingPathComponent(Self.fileName).path
        createdFolder = !FileManager.default.fileExists(atPath: folder.path)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw FolderLockError.cannotLock(path: folder.path, reason: FolderTransaction.describe(error, path: folder.path))
        }
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw FolderLockError.cannotLock(path: path, reason: MappedFile.errnoMessage()) }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let reason = MappedFile.errnoMessage()
            let busy = errno == EWOULDBLOCK
            close(descriptor)
            descriptor = -1
            guard busy else { throw FolderLockError.cannotLock(path: path, reason: reason) }
            throw FolderLockError.locked(folder: folder.path, pid: Self.holder(path))
        }
        let text = Array("\(getpid())\n".utf8)
        guard ftruncate(descriptor, 0) == 0, text.withUnsafeBytes({ pwrite(descriptor, $0.baseAddress, $0.count, 0) }) == text.count
        else {
            let reason = MappedFile.errnoMessage()
            release()
            throw FolderLockError.cannotLock(path: path, reason: reason)
        }
    }

    deinit { release() }

    /// Releases the lock (idempotent); removes the folder when the lock created it and it holds only the lock file.
    public func release() {
        guard descriptor >= 0 else { return }
        if createdFolder, (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) == [Self.fileName] {
            unlink(folder.appendingPathComponent(Self.fileName).path)   // still held: no other run can be inside
            rmdir(folder.path)
        }
        close(descriptor)   // drops the flock
        descriptor = -1
    }

    /// The PID written in the lock file at `path` (the holder writes it right after locking: retried briefly).
    static func holder(_ path: String) -> Int32? {
        for _ in 0..<20 {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 {
                return pid
            }
            usleep(5_000)
        }
        return nil
    }
}
