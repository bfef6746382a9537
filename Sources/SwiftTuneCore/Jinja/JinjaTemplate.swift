// The public entry point of the Jinja interpreter: parse once, render many times.

import Foundation

/// A parsed Jinja template, rendered the way transformers renders chat templates.
///
/// The interpreter implements the part of Jinja2 3.x that Hugging Face chat templates use, with the
/// environment transformers builds (`ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)`
/// plus the `loopcontrols` and AssistantTracker extensions, `raise_exception`, `strftime_now` and its `tojson`).
///
/// ```swift
/// let template = try JinjaTemplate(source: """
///     {% for message in messages %}<|im_start|>{{ message.role }}
///     {{ message.content }}<|im_end|>
///     {% endfor %}
///     """, name: "chatml.jinja")
/// let messages: [JinjaValue] = [.object(JinjaObject([("role", "user"), ("content", "Hi")], origin: 0))]
/// let rendering = try template.renderTracked(["messages": .array(messages)])
/// rendering.text          // "<|im_start|>user\nHi<|im_end|>\n"
/// rendering.iterations    // [JinjaIteration(origin: 0, range: 0..<30)]
/// ```
public struct JinjaTemplate: Sendable {
    /// The name errors report (usually the file path).
    public let name: String
    /// The options the template was parsed with.
    public let options: JinjaOptions
    let body: [JinjaStatement]

    /// Parses `source`.
    ///
    /// - Throws: ``JinjaError`` naming `name`, the line and the problem: kind ``JinjaError/Kind/syntax`` for
    ///   malformed templates, ``JinjaError/Kind/unknownFilter`` / ``JinjaError/Kind/unknownTest`` for names
    ///   Jinja2 does not define (outside `if` blocks, where Jinja2 also reports them at compile time), and
    ///   ``JinjaError/Kind/limit`` for nesting deeper than ``JinjaLimits/maxDepth``.
    public init(source: String, name: String = "<template>", options: JinjaOptions = .transformers) throws {
        self.name = name
        self.options = options
        var lexer = JinjaLexer(source: source, name: name, options: options)
        let tokens = try lexer.tokenize()
        var parser = JinjaParser(tokens: tokens, templateName: name, maxDepth: options.limits.maxDepth)
        body = try parser.parseTemplate()
    }

    /// Renders with the given variables.
    ///
    /// - Throws: ``JinjaError`` with the line of the tag or expression that failed.
    public func render(_ context: [String: JinjaValue]) throws -> String {
        try run(context, tracking: false).text
    }

    /// Renders and also reports where each loop iteration over a tagged object, and each
    /// `{% generation %}` block, wrote its output. See ``JinjaRendering``.
    ///
    /// - Throws: ``JinjaError`` with the line of the tag or expression that failed.
    public func renderTracked(_ context: [String: JinjaValue]) throws -> JinjaRendering {
        try run(context, tracking: true)
    }

    func run(_ context: [String: JinjaValue], tracking: Bool, now: @escaping () -> Date = Date.init) throws -> JinjaRendering {
        let evaluator = JinjaEvaluator(templateName: name, limits: options.limits, tracking: tracking, now: now)
        let scope = JinjaScope(parent: nil, variables: context)
        _ = try evaluator.execute(body, in: scope)
        return JinjaRendering(text: evaluator.output, iterations: evaluator.iterations,
                              generationRanges: evaluator.generationRanges)
    }
}

/// The output of ``JinjaTemplate/renderTracked(_:)``: the text and where tagged parts of it came from.
public struct JinjaRendering: Sendable, Equatable {
    /// The rendered text.
    public var text: String
    /// For each iteration of a `{% for %}` loop whose current item is an object with a non-nil
    /// ``JinjaObject/origin``, the UTF-8 byte range of ``text`` the iteration's body wrote, in the order the
    /// iterations began (so in output order).
    ///
    /// Only loops writing straight into the top-level output count: not loops inside
    /// `{% set %}…{% endset %}` captures, `{% filter %}` blocks or macro bodies (a macro's output counts as
    /// part of the iteration that prints it). Iterations that wrote nothing are omitted; several loops may
    /// report the same origin (for example a first pass over `messages[::-1]` that only sets variables and a
    /// second one that prints). Nested loops over tagged objects report overlapping ranges, outer first.
    public var iterations: [JinjaIteration]
    /// The UTF-8 byte ranges of ``text`` written inside `{% generation %}…{% endgeneration %}` blocks
    /// (transformers' AssistantTracker extension, which marks assistant tokens), when the block writes into
    /// the top-level output; empty blocks are omitted.
    public var generationRanges: [Range<Int>]

    /// Creates a rendering.
    public init(text: String, iterations: [JinjaIteration] = [], generationRanges: [Range<Int>] = []) {
        self.text = text
        self.iterations = iterations
        self.generationRanges = generationRanges
    }
}
