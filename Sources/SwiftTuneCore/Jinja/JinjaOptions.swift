// How a template is lexed (Jinja2's environment flags) and the bounds a render must stay within.

/// Bounds that keep a hostile or buggy template from using unbounded memory, time or stack.
///
/// Exceeding one throws a ``JinjaError`` of kind ``JinjaError/Kind/limit``.
public struct JinjaLimits: Sendable, Equatable {
    /// The most UTF-8 bytes a render (or any one captured block, or any one string the template builds)
    /// may hold. Default 64 MiB.
    public var maxOutputBytes: Int
    /// The most `{% for %}` iterations one render may run, all loops together. Default 10,000,000.
    public var maxLoopIterations: Int
    /// The deepest nesting allowed: macro calls within macro calls, brackets and operators within an
    /// expression while parsing, and arrays/objects within values when they are printed, compared or
    /// serialized. Default 200.
    public var maxDepth: Int

    /// Creates limits.
    public init(maxOutputBytes: Int = 64 << 20, maxLoopIterations: Int = 10_000_000, maxDepth: Int = 200) {
        self.maxOutputBytes = maxOutputBytes
        self.maxLoopIterations = maxLoopIterations
        self.maxDepth = maxDepth
    }
}

/// Lexer flags of a Jinja2 environment, and the render limits.
///
/// ```swift
/// var options = JinjaOptions.transformers
/// options.limits.maxOutputBytes = 1 << 20
/// let template = try JinjaTemplate(source: "{{ x }}", options: options)
/// ```
public struct JinjaOptions: Sendable, Equatable {
    /// Remove the first newline after a block tag or comment (`{% … %}`, `{# … #}`).
    public var trimBlocks: Bool
    /// Strip spaces and tabs from the start of a line up to a block tag or comment that begins it.
    public var lstripBlocks: Bool
    /// Keep a single trailing newline at the end of the template source (Jinja2 drops it by default).
    public var keepTrailingNewline: Bool
    /// Bounds on a render.
    public var limits: JinjaLimits

    /// Creates options; the defaults are Jinja2's own (`trim_blocks=False`, `lstrip_blocks=False`).
    public init(trimBlocks: Bool = false, lstripBlocks: Bool = false, keepTrailingNewline: Bool = false,
                limits: JinjaLimits = JinjaLimits()) {
        self.trimBlocks = trimBlocks
        self.lstripBlocks = lstripBlocks
        self.keepTrailingNewline = keepTrailingNewline
        self.limits = limits
    }

    /// How transformers compiles chat templates: `trim_blocks=True`, `lstrip_blocks=True`,
    /// `keep_trailing_newline=False`.
    public static let transformers = JinjaOptions(trimBlocks: true, lstripBlocks: true, keepTrailingNewline: false)
}
