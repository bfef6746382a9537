// Errors of the Jinja interpreter: one type for parsing and rendering, naming the template and the line of the
// offending tag, so a caller can print `file:line: message` like a compiler.

/// An error from parsing or rendering a ``JinjaTemplate``.
///
/// `description` reads `"<template>:<line>: <message>"`. For `raise_exception("…")` the message is the
/// template's own text, verbatim.
public struct JinjaError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// The template does not parse (Jinja2's `TemplateSyntaxError`).
        case syntax
        /// A name or attribute was used in a way undefined values do not allow (Jinja2's `UndefinedError`).
        case undefinedName
        /// A filter the interpreter does not know.
        case unknownFilter
        /// A test (`x is …`) the interpreter does not know.
        case unknownTest
        /// An operation on values of the wrong type, a bad argument, division by zero (Python's `TypeError`,
        /// `ValueError`, `ZeroDivisionError`, Jinja2's `SecurityError`).
        case type
        /// The template called `raise_exception(message)`.
        case raised
        /// A ``JinjaLimits`` bound was exceeded (output size, loop iterations, nesting or call depth).
        case limit
    }

    /// What went wrong.
    public var kind: Kind
    /// The template's name (usually its file path).
    public var template: String
    /// The 1-based line of the offending tag or expression (0 when unknown).
    public var line: Int
    /// A human-readable message.
    public var message: String

    /// Creates an error.
    public init(kind: Kind, template: String, line: Int, message: String) {
        self.kind = kind
        self.template = template
        self.line = line
        self.message = message
    }

    /// `"<template>:<line>: <message>"`.
    public var description: String { "\(template):\(line): \(message)" }
}

extension JinjaError {
    /// An error raised below the evaluator, before the line is known; ``JinjaEvaluator`` fills in the
    /// template name and line of the node being evaluated.
    static func bare(_ kind: Kind, _ message: String) -> JinjaError {
        JinjaError(kind: kind, template: "", line: 0, message: message)
    }

    static func type(_ message: String) -> JinjaError { bare(.type, message) }
}
