import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing a folder that cannot be swapped (a mount point, or a folder in a parent this process cannot write):
/// file by file, each by a rename from the staging folder inside it.
extension FolderTransaction {
    /// Whether `target` can be swapped by renames in `parent`: the parent is writable and the target is on the
    /// parent's filesystem (not a mount point).
    static func canSwap(_ target: String, in parent: String) -> Bool {
        guard access(parent, W_OK | X_OK) == 0 else { return false }
        var targetInfo = stat(), parentInfo = stat()
        guard stat(target, &targetInfo) == 0, stat(parent, &parentInfo) == 0 else { return false }
        return targetInfo.st_dev == parentInfo.st_dev
    }

    /// Renames every staged entry over the target's (configuration files — `*.json` — last, so that they never
    /// describe files not yet in place), then removes what the new folder no longer has: owned names not written
    /// again (``Keeping/everythingExcept(_:)``) or every other entry but the lock file (``Keeping/nothing``).
    func commitInPlace() throws {
        let fm = FileManager.default
        let staged = try fm.contentsOfDirectory(atPath: staging.path)
            .sorted { ($0.hasSuffix(".json") ? 1 : 0, $0) < ($1.hasSuffix(".json") ? 1 : 0, $1) }
        for name in staged {
            let destination = target.appendingPathComponent(name)
            if Self.entryType(destination.path) == S_IFDIR { try? fm.removeItem(at: destination) }
            guard rename(staging.appendingPathComponent(name).path, destination.path) == 0 else {
                throw FolderTransactionError.cannotSwap(target: target.path, reason: "rename \(name): " + MappedFile.errnoMessage())
            }
        }
        let written = Set(staged)
        for name in try fm.contentsOfDirectory(atPath: target.path)
        where !written.contains(name) && name != staging.lastPathComponent {
            switch keeping {
            case .nothing: if name == FolderLock.fileName { continue }
            case let .everythingExcept(owned): if !owned.contains(name) { continue }
            }
            try? fm.removeItem(at: target.appendingPathComponent(name))
        }
        try Self.syncDirectory(target.path)
        try? fm.removeItem(at: staging)
    }
}
