import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a whole folder so that, at every instant, a reader of its path finds either the complete old folder or
/// the complete new one — never a mix, never a half-written file.
///
/// The new folder is assembled in a hidden sibling, `.<name>.swifttune-tmp-<pid>`; ``commit()`` flushes every
/// file and folder in it to disk (`fsync`) and swaps it in:
/// - target present: one atomic exchange of the two entries (Linux `renameat2(…, RENAME_EXCHANGE)`, macOS
///   `renamex_np(…, RENAME_SWAP)`); the old folder, now at the staging name, is then deleted;
/// - where the filesystem cannot exchange (`EINVAL`, `ENOSYS`, `ENOTSUP`): the old folder is renamed aside to
///   `.<name>.swifttune-old-<pid>`, the new one renamed in, the old one deleted. A process killed between those
///   two renames leaves no `<name>`, but ``recover(_:)`` (which the loaders call) renames the complete old folder
///   back;
/// - target absent: one rename.
///
/// Leftovers of a killed write (`.<name>.swifttune-tmp-<pid>` and `.<name>.swifttune-old-<pid>` folders whose
/// process is gone) are removed — or, for an aside copy whose target is missing, restored — by the next
/// transaction in the same parent folder (``removeLeftovers(in:)``). Nothing else is touched.
///
/// A folder that holds more than one writer's files (a training `--output` holds the adapter or model beside
/// `logging.jsonl` and checkpoints) is replaced with ``Keeping/everythingExcept(_:)``: every other entry of the
/// old folder is hard-linked (copied where links are not supported) into the new one, so the swap replaces the
/// writer's own files together and keeps the rest.
///
/// ```swift
/// try FolderTransaction.write(to: folder, keeping: .everythingExcept(["weights.bin"])) { staging in
///     try bytes.write(to: staging.appendingPathComponent("weights.bin"))
/// }
/// ```
public final class FolderTransaction {
    /// What of an existing target folder the new folder keeps.
    public enum Keeping: Equatable, Sendable {
        /// The new folder holds only what the writer puts in it.
        case nothing
        /// Every entry of the old folder whose name is not in the set is carried over (the writer owns the names
        /// in the set: they are either written anew or dropped). Carried-over files are hard links to the old
        /// folder's, so the writer must create only names in the set.
        case everythingExcept(Set<String>)
    }

    /// The folder being replaced or created.
    public let target: URL
    /// The hidden folder to write the new contents into: `.<name>.swifttune-tmp-<pid>`, beside the target (inside
    /// it when the target is written in place).
    public let staging: URL
    /// What of the old folder the new one keeps.
    public let keeping: Keeping
    /// Whether the target is written in place (see ``init(replacing:keeping:)``), not swapped.
    public let isInPlace: Bool
    /// `false` takes the fallback swap even where the filesystem could exchange (for tests of that path).
    var allowsExchange = true
    private var finished = false

    /// Creates the staging folder beside `target` (and `target`'s parent folders when missing), after removing
    /// the leftovers of killed writes in the parent, and fills it with the entries `keeping` carries over.
    ///
    /// A `target` that is a symbolic link is followed: the folder it points to is replaced, the link stays. One
    /// process writes one target at a time (across processes, ``FolderLock`` sees to that). A target folder that
    /// cannot be swapped — a mount point, or one whose parent folder is not writable — is written in place
    /// instead: the staging folder is made inside it and each file is renamed over the old one (every file whole,
    /// but not all files at one instant; configuration files last).
    /// - Throws: ``FolderTransactionError/notAFolder(path:)`` when `target` is a file;
    ///   ``FolderTransactionError/cannotPrepare(path:reason:)`` when the staging folder cannot be made.
    public convenience init(replacing target: URL, keeping: Keeping = .nothing) throws {
        try self.init(replacing: target, keeping: keeping, forceInPlace: false)
    }

    /// The same; `forceInPlace` writes in place even where the folder could be swapped (for tests of that path).
    init(replacing target: URL, keeping: Keeping, forceInPlace: Bool) throws {
        let target = target.standardizedFileURL.resolvingSymlinksInPath()
        self.target = target
        self.keeping = keeping
        let parent = target.deletingLastPathComponent()
        let fm = FileManager.default
        let leftoverName = Self.leftoverName(of: target.lastPathComponent, kind: .staging, pid: getpid())
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw FolderTransactionError.cannotPrepare(path: parent.appendingPathComponent(leftoverName).path,
                                                       reason: Self.describe(error, path: parent.path + "/x"))
        }
        let existing = Self.entryType(target.path)
        if existing != nil && existing != S_IFDIR { throw FolderTransactionError.notAFolder(path: target.path) }
        isInPlace = existing == S_IFDIR && (forceInPlace || !Self.canSwap(target.path, in: parent.path))
        staging = (isInPlace ? target : parent).appendingPathComponent(leftoverName)
        Self.removeLeftovers(in: isInPlace ? target : parent)
        // Ours from an earlier, failed transaction of this process: this process writes one target at a time.
        if Self.entryType(staging.path) != nil { try? fm.removeItem(at: staging) }
        guard mkdir(staging.path, 0o777) == 0 else {
            throw FolderTransactionError.cannotPrepare(path: staging.path, reason: MappedFile.errnoMessage())
        }
        do {
            if case let .everythingExcept(owned) = keeping, existing == S_IFDIR, !isInPlace {
                Self.removeLeftovers(in: target)
                for name in try fm.contentsOfDirectory(atPath: target.path).sorted()
                where !owned.contains(name) && Self.parseLeftover(name) == nil {
                    try Self.linkTree(from: target.appendingPathComponent(name).path,
                                      to: staging.appendingPathComponent(name).path)
                }
            }
        } catch {
            try? fm.removeItem(at: staging)
            throw FolderTransactionError.cannotPrepare(path: staging.path, reason: Self.describe(error, path: staging.path))
        }
        FaultInjection.reach(.prepared, targetName: target.lastPathComponent)
    }

    deinit { if !finished { abort() } }

    /// Flushes the staging folder to disk and swaps it in place of ``target`` (see the type's discussion).
    /// On failure the staging folder is removed and the target is as it was (written in place: the files renamed
    /// before the failure are new).
    /// - Throws: ``FolderTransactionError/cannotSync(path:reason:)`` or
    ///   ``FolderTransactionError/cannotSwap(target:reason:)``.
    public func commit() throws {
        precondition(!finished, "FolderTransaction.commit() called twice or after abort()")
        finished = true
        let name = target.lastPathComponent
        let parent = target.deletingLastPathComponent().path
        do {
            try Self.syncTree(staging.path)
            FaultInjection.reach(.staged, targetName: name)
            if isInPlace { return try commitInPlace() }
            if Self.entryType(target.path) == nil {
                guard rename(staging.path, target.path) == 0 else {
                    throw FolderTransactionError.cannotSwap(target: target.path, reason: "rename: " + MappedFile.errnoMessage())
                }
                try? Self.syncDirectory(parent)   // in place already: see below
                return
            }
            let status = !allowsExchange || FaultInjection.exchangeDisabled ? EINVAL : Kernels.renameExchange(staging.path, target.path)
            if status == 0 {
                // Swapped: from here on the new folder is in place, so nothing may throw (the rename is atomic;
                // flushing the parent only makes it durable across a power cut, not a kill).
                try? Self.syncDirectory(parent)
                FaultInjection.reach(.exchanged, targetName: name)
                try? FileManager.default.removeItem(at: staging)   // the old folder now
                return
            }
            guard status == EINVAL || status == ENOSYS || status == ENOTSUP else {
                throw FolderTransactionError.cannotSwap(target: target.path, reason: "exchange: " + String(cString: strerror(status)))
            }
            try swapAside()
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
    }

    /// The fallback swap: old folder aside, new one in, old one deleted.
    private func swapAside() throws {
        let aside = target.deletingLastPathComponent()
            .appendingPathComponent(Self.leftoverName(of: target.lastPathComponent, kind: .aside, pid: getpid()))
        if Self.entryType(aside.path) != nil { try? FileManager.default.removeItem(at: aside) }
        guard rename(target.path, aside.path) == 0 else {
            throw FolderTransactionError.cannotSwap(target: target.path, reason: "rename aside: " + MappedFile.errnoMessage())
        }
        FaultInjection.reach(.aside, targetName: target.lastPathComponent)
        guard rename(staging.path, target.path) == 0 else {
            let reason = MappedFile.errnoMessage()
            _ = rename(aside.path, target.path)
            throw FolderTransactionError.cannotSwap(target: target.path, reason: "rename: " + reason)
        }
        try? Self.syncDirectory(target.deletingLastPathComponent().path)   // in place already
        try? FileManager.default.removeItem(at: aside)
    }

    /// Removes the staging folder; the target stays as it was. Called by `deinit` when neither ``commit()`` nor
    /// `abort()` was.
    public func abort() {
        guard !finished else { return }
        finished = true
        try? FileManager.default.removeItem(at: staging)
    }

    /// Runs `body` with the staging folder and commits what it wrote; if `body` throws, aborts and rethrows.
    public static func write(to target: URL, keeping: Keeping = .nothing, _ body: (URL) throws -> Void) throws {
        let transaction = try FolderTransaction(replacing: target, keeping: keeping)
        do {
            try body(transaction.staging)
        } catch {
            transaction.abort()
            throw error
        }
        try transaction.commit()
    }

    /// A short reason for a Foundation file error: the system's message (`strerror`) when there is one.
    static func describe(_ error: Error, path: String = "") -> String {
        if error is FolderTransactionError { return "\(error)" }
        return FileErrorReason.describe(error, path: path)
    }
}
