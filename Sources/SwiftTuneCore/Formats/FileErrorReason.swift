import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plain-language reasons for file-system failures, in place of Foundation's "The operation could not be
/// completed. (NSCocoaErrorDomain error 512.)".
///
/// The reason comes from the POSIX error underneath when Foundation keeps one (`strerror`), else from the
/// Cocoa error code, and for the codes that say nothing ("unknown write error") from looking at `path` itself:
/// the nearest existing ancestor that is a file rather than a folder, or a folder that cannot be written.
public enum FileErrorReason {
    /// Why the operation on `path` that threw `error` failed, in a few words (no path: callers put it first).
    public static func describe(_ error: Error, path: String) -> String {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if let probed = probe(path) { return probed }
        guard ns.domain == NSCocoaErrorDomain else { return "\(error)" }
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or folder"
        case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied"
        case .fileWriteOutOfSpace: return "no space left on the device"
        case .fileWriteFileExists: return "it already exists"
        case .fileWriteVolumeReadOnly: return "the file system is read-only"
        case .fileReadCorruptFile: return "the file is not in the expected format"
        default: return ns.localizedDescription
        }
    }

    /// What `path`'s ancestors say about a failed write: a file where a folder must be, or an unwritable folder.
    /// `nil` when the nearest existing ancestor is a writable folder.
    public static func probe(_ path: String) -> String? {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        let fm = FileManager.default
        while url.path != "/" {
            url.deleteLastPathComponent()
            var isFolder: ObjCBool = false
            guard fm.fileExists(atPath: url.path, isDirectory: &isFolder) else { continue }
            if !isFolder.boolValue { return "'\(url.path)' is a file, not a folder" }
            if access(url.path, W_OK) != 0 { return "the folder '\(url.path)' is not writable" }
            return nil
        }
        return nil
    }
}
