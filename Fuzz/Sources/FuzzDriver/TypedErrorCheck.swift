/// Fails the run unless `error` is one of the reader's documented error types and its message names `subject`
/// (the file or template the input was read as).
///
/// A trap is not the only bug a fuzzer can find: a reader that lets a raw Foundation error or an error naming no
/// file escape is what issue 12 calls an unclear error, so the targets hold every error to the same contract.
public func requireTypedError(_ error: Error, _ allowed: [Any.Type], naming subject: String?,
                              file: StaticString = #fileID, line: UInt = #line) {
    let thrown = type(of: error)
    guard allowed.contains(where: { ObjectIdentifier($0) == ObjectIdentifier(thrown) }) else {
        fatalError("untyped error \(thrown): \(error)", file: file, line: line)
    }
    let message = "\(error)"
    if let subject, !message.contains(subject) {
        fatalError("\(thrown) does not name '\(subject)': \(message)", file: file, line: line)
    }
}
