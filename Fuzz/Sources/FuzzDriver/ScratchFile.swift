import Foundation

/// Where a target writes the file it hands to a reader that only opens paths: `/dev/shm` (memory) when it exists,
/// else the temporary directory. A disk-backed scratch file makes each run wait on I/O (ten times fewer
/// executions per second on a busy machine); the name carries the PID so parallel fuzzers do not share it.
public func scratchURL(_ name: String) -> URL {
    var isDirectory: ObjCBool = false
    let base = FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory) && isDirectory.boolValue
        ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
    return base.appendingPathComponent("swifttune-fuzz-\(getpid())-\(name)")
}
