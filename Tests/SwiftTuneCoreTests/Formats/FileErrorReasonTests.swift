import Foundation
import Testing
import SwiftTuneCore

/// File-system failures read as a reason, not as "NSCocoaErrorDomain error 512".
@Suite struct FileErrorReasonTests {
    private func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("file-error-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func aFileWhereAFolderMustBeIsNamed() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("file")
        try Data("x".utf8).write(to: file)
        let target = file.appendingPathComponent("out")
        let error = #expect(throws: (any Error).self) {
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        }
        let reason = FileErrorReason.describe(try #require(error), path: target.path)
        #expect(!reason.contains("NSCocoaErrorDomain"), "\(reason)")
        #expect(reason.contains("not a folder") || reason.contains("Not a directory"), "\(reason)")
    }

    @Test func aLockOnAPathUnderAFileNamesIt() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("file")
        try Data("x".utf8).write(to: file)
        let error = #expect(throws: FolderLockError.self) { try FolderLock(folder: file.appendingPathComponent("run")) }
        let message = "\(try #require(error))"
        #expect(message.contains(file.path) && !message.contains("NSCocoaErrorDomain"), "\(message)")
    }

    @Test func posixErrorsReadAsStrerror() {
        let error = NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))
        #expect(FileErrorReason.describe(error, path: "/x").lowercased().contains("space"))
    }
}
