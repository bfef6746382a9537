import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that readers see either the old contents or the complete new ones, never a partial file.
///
/// The bytes go to a temporary file in the destination's directory (same filesystem, so `rename(2)` is atomic),
/// which is flushed with `fsync` and renamed over the destination. On any failure the temporary file is removed
/// and the destination is untouched. Renaming also means a file that is memory-mapped (for example by a
/// ``SafetensorsFile``) is replaced rather than truncated under its readers, as the official writer does.
/// The new file gets mode 0666 minus the umask (the official writer's `tempfile` leaves 0600).
enum AtomicFileWriter {
    /// A destination for bytes; `write` retries short writes and `EINTR`.
    final class Sink {
        fileprivate let descriptor: Int32
        fileprivate init(descriptor: Int32) { self.descriptor = descriptor }

        func write(_ bytes: UnsafeRawBufferPointer) throws {
            var offset = 0
            while offset < bytes.count {
                let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw AtomicFileWriter.Failure(message: "write: " + MappedFile.errnoMessage())
                }
                offset += written
            }
        }

        func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
    }

    /// A system call failed (`message` includes the system's reason).
    struct Failure: Error { var message: String }

    /// Creates `url` from the bytes `body` writes.
    /// - Throws: ``SafetensorsError/writeFailed(path:reason:)``, or whatever `body` throws; either way no
    ///   temporary file is left and an existing file at `url` is unchanged.
    static func write(to url: URL, _ body: (Sink) throws -> Void) throws {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-" + UUID().uuidString
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else {
            throw SafetensorsError.writeFailed(path: path,
                                               reason: "cannot create \(temporary): " + MappedFile.errnoMessage())
        }
        var isOpen = true
        do {
            try body(Sink(descriptor: descriptor))
            guard fsync(descriptor) == 0 else { throw Failure(message: "fsync: " + MappedFile.errnoMessage()) }
            isOpen = false
            guard close(descriptor) == 0 else { throw Failure(message: "close: " + MappedFile.errnoMessage()) }
            guard rename(temporary, path) == 0 else { throw Failure(message: "rename: " + MappedFile.errnoMessage()) }
        } catch {
            if isOpen { close(descriptor) }
            unlink(temporary)
            if let failure = error as? Failure { throw SafetensorsError.writeFailed(path: path, reason: failure.message) }
            throw error
        }
    }
}

/// `write(2)` (inside `Sink`, `write` names the method).
@inline(__always)
private func systemWrite(_ descriptor: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, pointer, count)
}
