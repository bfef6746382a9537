import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Flushing a folder tree to disk, and carrying entries of the old folder into the new one.
extension FolderTransaction {
    /// `fsync`s every regular file and folder under `path` (folders after their contents), so that after the
    /// swap's rename nothing of the new folder is only in the page cache.
    static func syncTree(_ path: String) throws {
        guard let type = entryType(path) else { return }
        if type == S_IFDIR {
            for name in try FileManager.default.contentsOfDirectory(atPath: path) { try syncTree(path + "/" + name) }
            try syncDirectory(path)
        } else if type == S_IFREG {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw FolderTransactionError.cannotSync(path: path, reason: MappedFile.errnoMessage()) }
            defer { close(descriptor) }
            guard fsync(descriptor) == 0 else { throw FolderTransactionError.cannotSync(path: path, reason: MappedFile.errnoMessage()) }
        }
    }

    /// `fsync`s a folder itself (its entries: names created or renamed in it).
    static func syncDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FolderTransactionError.cannotSync(path: path, reason: MappedFile.errnoMessage()) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw FolderTransactionError.cannotSync(path: path, reason: MappedFile.errnoMessage()) }
    }

    /// Recreates the entry at `source` at `destination`: folders as new folders (same permissions) with their
    /// contents carried over recursively, regular files as hard links (the same inode, no bytes copied; a copy
    /// where the filesystem refuses links), symbolic links as symbolic links.
    static func linkTree(from source: String, to destination: String) throws {
        var info = stat()
        guard lstat(source, &info) == 0 else {
            throw FolderTransactionError.cannotPrepare(path: source, reason: MappedFile.errnoMessage())
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            guard mkdir(destination, info.st_mode & 0o7777) == 0 else {
                throw FolderTransactionError.cannotPrepare(path: destination, reason: MappedFile.errnoMessage())
            }
            for name in try FileManager.default.contentsOfDirectory(atPath: source).sorted() {
                try linkTree(from: source + "/" + name, to: destination + "/" + name)
            }
        case S_IFREG:
            if link(source, destination) != 0 {
                try FileManager.default.copyItem(atPath: source, toPath: destination)
            }
        default:
            try FileManager.default.copyItem(atPath: source, toPath: destination)
        }
    }
}
