// The runtime post-processor: adds the template's special tokens around the ids when `addSpecialTokens` is true
// (`tokenizers`' TemplateProcessing with the `single` template). ByteLevel only moves offsets, so it is a no-op here.

struct PostProcessor: Sendable {
    enum Piece: Sendable {
        case ids([Int])
        case sequence
    }

    /// One list of pieces per TemplateProcessing in the (flattened) chain, applied in order.
    let templates: [[Piece]]

    init(_ config: PostProcessorConfiguration, path: String) throws {
        var templates: [[Piece]] = []
        func add(_ c: PostProcessorConfiguration) throws {
            switch c {
            case .byteLevel: break
            case let .templateProcessing(single, specialTokens):
                templates.append(try single.map { piece in
                    switch piece {
                    case .sequence: return .sequence
                    case let .specialToken(id, _):
                        guard let entry = specialTokens[id] else {
                            throw TokenizerError.invalidComponent(
                                path: path, component: "post_processor",
                                reason: "template token '\(id)' is missing from special_tokens")
                        }
                        return .ids(entry.ids)
                    }
                })
            case let .sequence(list): for item in list { try add(item) }
            case let .unsupported(type):
                throw TokenizerError.unsupportedComponent(path: path, component: "post_processor", type: type)
            }
        }
        try add(config)
        self.templates = templates
    }

    func process(_ ids: [Int], addSpecialTokens: Bool) -> [Int] {
        guard addSpecialTokens else { return ids }
        var current = ids
        for template in templates {
            var out: [Int] = []
            out.reserveCapacity(current.count + template.count)
            for piece in template {
                switch piece {
                case let .ids(list): out.append(contentsOf: list)
                case .sequence: out.append(contentsOf: current)
                }
            }
            current = out
        }
        return current
    }
}
