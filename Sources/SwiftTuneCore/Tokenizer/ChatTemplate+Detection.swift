// Recognising a tokenizer_config.json `chat_template` by its distinctive markers (SwiftTune does not run Jinja).

extension ChatTemplate {
    /// The built-in template family a Jinja `chat_template` string belongs to, or `nil` if none fits.
    ///
    /// - ChatML: contains `<|im_start|>` and `<|im_end|>`. A default system message is taken from a literal
    ///   `'<|im_start|>system\n…<|im_end|>'` in the template (Qwen2 and Qwen2.5 have one).
    /// - Llama-3: contains `<|start_header_id|>`, `<|end_header_id|>` and `<|eot_id|>`, and not Llama-3.1's
    ///   "Cutting Knowledge Date" system header. `bosToken` is used where the template writes `bos_token`.
    public static func detect(jinja template: String, bosToken: String?) -> ChatTemplate? {
        if template.contains("<|im_start|>") && template.contains("<|im_end|>") {
            let system = defaultChatMLSystemMessage(in: template)
            var name = "detected-chatml"
            if system == ChatTemplate.qwen2_5.defaultSystemMessage { name = ChatTemplate.qwen2_5.name }
            else if system == ChatTemplate.qwen2.defaultSystemMessage { name = ChatTemplate.qwen2.name }
            else if system == nil { name = ChatTemplate.chatML.name }
            return ChatTemplate(name: name, format: .chatML, defaultSystemMessage: system)
        }
        if template.contains("<|start_header_id|>") && template.contains("<|end_header_id|>")
            && template.contains("<|eot_id|>") && !template.contains("Cutting Knowledge Date") {
            let bos = template.contains("bos_token") ? (bosToken ?? "") : ""
            let trims = template.contains("| trim") || template.contains("|trim")
            let name = bos == "<|begin_of_text|>" && trims ? ChatTemplate.llama3.name : "detected-llama3"
            return ChatTemplate(name: name, format: .llama3, bosToken: bos, trimsContent: trims)
        }
        return nil
    }

    /// The text of a Jinja string literal `'<|im_start|>system\n…<|im_end|>` (quote-free, no `{`), unescaped.
    static func defaultChatMLSystemMessage(in template: String) -> String? {
        let scalars = Array(template.unicodeScalars)
        let heads = [Array("<|im_start|>system\\n".unicodeScalars), Array("<|im_start|>system\n".unicodeScalars)]
        let end = Array("<|im_end|>".unicodeScalars)
        var i = 0
        while i < scalars.count {
            for head in heads where scalars[i...].starts(with: head) {
                var j = i + head.count
                var body: [Unicode.Scalar] = []
                while j < scalars.count, !scalars[j...].starts(with: end), !"'\"{}".unicodeScalars.contains(scalars[j]) {
                    body.append(scalars[j])
                    j += 1
                }
                if j < scalars.count, scalars[j...].starts(with: end), !body.isEmpty {
                    return unescapeJinjaLiteral(body)
                }
            }
            i += 1
        }
        return nil
    }

    /// Undoes the backslash escapes of a Python / Jinja string literal (`\n`, `\t`, `\\`, `\'`, `\"`).
    static func unescapeJinjaLiteral(_ body: [Unicode.Scalar]) -> String {
        var out = String.UnicodeScalarView()
        var k = 0
        while k < body.count {
            if body[k] == "\\", k + 1 < body.count {
                switch body[k + 1] {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                default: out.append(body[k + 1])
                }
                k += 2
            } else {
                out.append(body[k])
                k += 1
            }
        }
        return String(out)
    }
}
