/// Why a ``FolderLock`` was not taken.
public enum FolderLockError: Error, CustomStringConvertible, Equatable {
    /// Another run holds the lock on `folder`; `pid` is the PID its lock file names (`nil` if it has not written
    /// it yet).
    case locked(folder: String, pid: Int32?)
    /// The folder or its lock file could not be created or locked.
    case cannotLock(path: String, reason: String)

    public var description: String {
        switch self {
        case let .locked(folder, pid):
            return "\(folder) is locked by \(pid.map { "PID \($0)" } ?? "another process") (another run is writing "
                + "this output; wait for it to finish or choose another folder)"
        case let .cannotLock(path, reason): return "\(path): cannot take the output lock (\(reason))"
        }
    }
}
