/// Why a ``FolderTransaction`` could not write or swap in a folder. Each case names the path and the system's
/// reason; the target folder is unchanged (the old complete folder is still in place, or was never there).
public enum FolderTransactionError: Error, CustomStringConvertible, Equatable {
    /// The target exists but is not a folder (a file or something else is at `path`).
    case notAFolder(path: String)
    /// The hidden staging folder beside the target could not be created or filled with the kept entries.
    case cannotPrepare(path: String, reason: String)
    /// Flushing the staged files to disk failed (`fsync` of `path`).
    case cannotSync(path: String, reason: String)
    /// Renaming the staged folder into place failed.
    case cannotSwap(target: String, reason: String)

    public var description: String {
        switch self {
        case let .notAFolder(path): return "\(path): exists and is not a folder; refusing to replace it"
        case let .cannotPrepare(path, reason): return "\(path): cannot prepare the staging folder (\(reason))"
        case let .cannotSync(path, reason): return "\(path): cannot flush to disk (\(reason))"
        case let .cannotSwap(target, reason): return "\(target): cannot swap the new folder into place (\(reason))"
        }
    }
}
