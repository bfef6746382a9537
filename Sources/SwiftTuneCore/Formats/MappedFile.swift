#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped into memory, unmapped when the last reference dies.
///
/// Tensors read without copying keep the mapping alive through their storage's `release` closure, so the file
/// stays mapped exactly as long as something can read it.
///
/// The mapping is `MAP_PRIVATE` with `PROT_READ | PROT_WRITE`, not `PROT_READ` alone: a zero-copy tensor that is
/// uniquely referenced is written in place by `withUnsafeMutableScalars` (an optimizer step, say), which would
/// fault on a read-only page. Private pages are copied on first write, so the file itself is never modified.
/// Another process truncating the file while it is mapped would still fault on access (SIGBUS); the writer in
/// this folder replaces files by rename, which never truncates a mapped file.
final class MappedFile: @unchecked Sendable {
    // @unchecked: the mapping is immutable after `init`; tensors that write to their pages own them (copy-on-write).
    let base: UnsafeMutableRawPointer
    let size: Int

    /// Maps `path` (which must be at least 1 byte long: POSIX refuses empty mappings).
    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SafetensorsError.cannotOpen(path: path, reason: Self.errnoMessage()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SafetensorsError.cannotOpen(path: path, reason: Self.errnoMessage())
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SafetensorsError.cannotOpen(path: path, reason: "not a regular file")
        }
        let size = Int(info.st_size)
        guard size >= 8 else { throw SafetensorsError.truncated(path: path, fileSize: size) }
        guard let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw SafetensorsError.cannotOpen(path: path, reason: "mmap: " + Self.errnoMessage())
        }
        self.base = mapped
        self.size = size
    }

    /// The bytes in `range` (the caller checks `range` lies inside the file).
    func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= size, "range \(range) outside mapping of \(size) bytes")
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    /// Asks the kernel to reclaim the mapping's resident pages (`MADV_PAGEOUT`, Linux 5.4+; ignored elsewhere).
    /// Safe at any time: clean file pages fault back in from the page cache when read again, and pages a tensor
    /// wrote (private copies) are kept or swapped, never dropped. Called once a model has been built from the file,
    /// so that the checkpoint's bytes stop counting in the process' resident memory.
    func releaseResidentPages() {
        #if os(Linux)
        _ = madvise(base, size, 21)   // MADV_PAGEOUT
        #endif
    }

    deinit { munmap(base, size) }

    static func errnoMessage() -> String { String(cString: strerror(errno)) }
}
