import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The hidden names of a transaction's folders, and cleaning up after a killed writer.
extension FolderTransaction {
    /// The two hidden folders a transaction makes beside its target.
    enum LeftoverKind: String {
        /// `.<name>.swifttune-tmp-<pid>`: the new folder being written (or, after an exchange, the old one being
        /// deleted).
        case staging = "swifttune-tmp"
        /// `.<name>.swifttune-old-<pid>`: the complete old folder, renamed aside by the fallback swap.
        case aside = "swifttune-old"
    }

    static func leftoverName(of name: String, kind: LeftoverKind, pid: pid_t) -> String {
        ".\(name).\(kind.rawValue)-\(pid)"
    }

    /// The target name, kind and PID of a hidden transaction folder's name, or `nil` for any other name.
    static func parseLeftover(_ entry: String) -> (name: String, kind: LeftoverKind, pid: pid_t)? {
        guard entry.hasPrefix("."), let dash = entry.lastIndex(of: "-") else { return nil }
        let digits = entry[entry.index(after: dash)...]
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let pid = pid_t(digits), pid > 0 else {
            return nil
        }
        let stem = entry[entry.index(after: entry.startIndex)..<dash]
        for kind in [LeftoverKind.staging, .aside] where stem.hasSuffix("." + kind.rawValue) {
            let name = stem.dropLast(kind.rawValue.count + 1)
            return name.isEmpty ? nil : (String(name), kind, pid)
        }
        return nil
    }

    /// Whether a process with this PID exists (a leftover of a live process is another writer's, in progress).
    static func isAlive(_ pid: pid_t) -> Bool {
        pid == getpid() || kill(pid, 0) == 0 || errno == EPERM
    }

    /// Cleans up after writers that were killed in `directory`: an aside copy (`.<name>.swifttune-old-<pid>`)
    /// whose `<name>` is missing is renamed back to `<name>` (it is the complete old folder); every other
    /// `.<name>.swifttune-tmp-<pid>` / `.<name>.swifttune-old-<pid>` folder whose process is gone is deleted.
    /// Folders of live processes, files, and every other name are left alone. ``init(replacing:keeping:)`` calls this for the parent
    /// folder of its target.
    /// - Returns: the names of the entries removed or restored.
    @discardableResult
    public static func removeLeftovers(in directory: URL) -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        let leftovers = entries.compactMap { entry in parseLeftover(entry).map { (entry, $0) } }
            .filter { !isAlive($0.1.pid) && entryType(directory.appendingPathComponent($0.0).path) == S_IFDIR }
            .sorted { ($0.1.kind == .aside ? 0 : 1, $0.0) < ($1.1.kind == .aside ? 0 : 1, $1.0) }
        var handled: [String] = []
        for (entry, leftover) in leftovers {
            let path = directory.appendingPathComponent(entry).path
            let original = directory.appendingPathComponent(leftover.name).path
            if leftover.kind == .aside && entryType(original) == nil {
                if rename(path, original) == 0 { handled.append(entry) }
                continue
            }
            if (try? FileManager.default.removeItem(atPath: path)) != nil { handled.append(entry) }
        }
        return handled
    }

    /// For readers: when `folder` is missing because a writer was killed between the two renames of the fallback
    /// swap, renames the complete old folder back from its aside name; when that writer is still running, waits
    /// (up to about a second) for its new folder to appear. Does nothing (one `lstat`) when `folder` exists.
    public static func recover(_ folder: URL) {
        let folder = folder.standardizedFileURL.resolvingSymlinksInPath()
        guard entryType(folder.path) == nil else { return }
        let parent = folder.deletingLastPathComponent()
        for _ in 0..<100 {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else { return }
            let asides = entries.compactMap(parseLeftover).filter { $0.name == folder.lastPathComponent && $0.kind == .aside }
            guard !asides.isEmpty else { return }
            if let dead = asides.first(where: { !isAlive($0.pid) }) {
                _ = rename(parent.appendingPathComponent(leftoverName(of: dead.name, kind: .aside, pid: dead.pid)).path,
                           folder.path)
                return
            }
            usleep(10_000)   // a live writer is between its two renames
            if entryType(folder.path) != nil { return }
        }
    }

    /// The `S_IFMT` bits of the entry at `path` (not following a symbolic link), or `nil` when there is none.
    static func entryType(_ path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT
    }
}
