// Which bytes of a rendered conversation are an assistant's turn, found by rendering (no per-family code).
//
// The template runs once over the whole conversation with every message tagged by its index; the interpreter
// reports the bytes each `{% for %}` iteration over a tagged message wrote. An assistant turn is that iteration's
// output after the generation prompt's text: the generation prompt is what the template adds for
// `add_generation_prompt` after the conversation up to that message, so its header (`<|im_start|>assistant\n`,
// `<|start_header_id|>assistant<|end_header_id|>\n\n`, Qwen3's empty think block without thinking) stays markup,
// and the content and end-of-turn text written with it (`<|im_end|>\n`, `<|eot_id|>`, `</s>`) are the turn.
// This is what ms-swift labels: the response and the template's suffix.
//
// Templates with `{% generation %}` blocks (transformers' `return_assistant_tokens_mask`) say it themselves: those
// ranges are the turns. A template that does not loop over the message objects falls back to rendering prefixes:
// the turn of message i starts where `render(messages[..<i], add_generation_prompt: true)` ends and ends where the
// whole text stops agreeing with `render(messages[...i])`.

extension ChatTemplate {
    /// The conversation as markup and assistant turns whose texts concatenate to ``render(_:addGenerationPrompt:context:)``.
    ///
    /// - Throws: ``JinjaError`` naming this template's file and line.
    public func segments(_ messages: [ChatMessage], addGenerationPrompt: Bool = false,
                         context: ChatContext = ChatContext()) throws -> [ChatSegment] {
        let rendering = try renderTracked(messages, addGenerationPrompt: addGenerationPrompt, context: context)
        let bytes = Array(rendering.text.utf8)
        var turns: [(message: Int, range: Range<Int>)] = []
        let assistants = messages.indices.filter { messages[$0].role == "assistant" }
        if !rendering.generationRanges.isEmpty {
            turns = rendering.generationRanges.map { range in
                let owner = rendering.iterations.last { $0.range.contains(range.lowerBound) && assistants.contains($0.origin) }
                return (owner?.origin ?? assistants.first ?? 0, range)
            }
        } else {
            for i in assistants {
                if let iteration = rendering.iterations.last(where: { $0.origin == i }) {
                    let header = generationPrompt(before: i, messages: messages, context: context)
                    let start = iteration.range.lowerBound
                        + ChatTemplate.commonPrefixLength(bytes[iteration.range], header)
                    if start < iteration.range.upperBound { turns.append((i, start..<iteration.range.upperBound)) }
                } else if let range = prefixRange(of: i, messages: messages, context: context, bytes: bytes) {
                    turns.append((i, range))
                }
            }
        }
        return ChatTemplate.cut(bytes, turns: turns)
    }

    /// What `add_generation_prompt` adds after `messages[..<index]` (empty when that prefix does not render or the
    /// two renders do not extend each other).
    func generationPrompt(before index: Int, messages: [ChatMessage], context: ChatContext) -> [UInt8] {
        let prefix = Array(messages[..<index])
        guard let without = try? render(prefix, addGenerationPrompt: false, context: context),
              let with = try? render(prefix, addGenerationPrompt: true, context: context) else { return [] }
        let a = Array(without.utf8), b = Array(with.utf8)
        guard b.count >= a.count, b.starts(with: a) else { return [] }
        return Array(b[a.count...])
    }

    /// The prefix-rendering fallback for message `index` (see the file comment), or `nil` when it finds nothing.
    func prefixRange(of index: Int, messages: [ChatMessage], context: ChatContext, bytes: [UInt8]) -> Range<Int>? {
        guard let before = try? render(Array(messages[..<index]), addGenerationPrompt: true, context: context),
              let through = try? render(Array(messages[...index]), addGenerationPrompt: false, context: context)
        else { return nil }
        let start = Array(before.utf8)
        guard bytes.starts(with: start) else { return nil }
        let end = ChatTemplate.commonPrefixLength(bytes[...], Array(through.utf8))
        return end > start.count ? start.count..<end : nil
    }

    /// The length of the longest common prefix of two byte strings, shortened to a UTF-8 character boundary.
    static func commonPrefixLength(_ a: ArraySlice<UInt8>, _ b: [UInt8]) -> Int {
        var n = 0
        while n < b.count, a.startIndex + n < a.endIndex, a[a.startIndex + n] == b[n] { n += 1 }
        // Do not end inside a multi-byte character (continuation bytes are 0b10xxxxxx).
        while n > 0, a.startIndex + n < a.endIndex, a[a.startIndex + n] & 0xC0 == 0x80 { n -= 1 }
        return n
    }

    /// Splits the rendered bytes into markup and the given turns (sorted, overlaps dropped).
    static func cut(_ bytes: [UInt8], turns: [(message: Int, range: Range<Int>)]) -> [ChatSegment] {
        var segments: [ChatSegment] = []
        var position = 0
        func text(_ r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self) }
        for turn in turns.sorted(by: { $0.range.lowerBound < $1.range.lowerBound }) {
            let lower = max(turn.range.lowerBound, position), upper = min(turn.range.upperBound, bytes.count)
            guard lower < upper else { continue }
            if position < lower { segments.append(ChatSegment(text: text(position..<lower))) }
            segments.append(ChatSegment(text: text(lower..<upper), messageIndex: turn.message))
            position = upper
        }
        if position < bytes.count { segments.append(ChatSegment(text: text(position..<bytes.count))) }
        return segments
    }
}
