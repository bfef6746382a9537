// Checks on a decoded tokenizer.json that catch files which would load but tokenize wrongly without a word:
// merges stripped from a BPE model, an empty vocabulary, ids too large to index.

extension Tokenizer {
    /// The largest token id accepted: ids index a dense table, so an id of 10¹² in a file must not become a
    /// 10¹²-entry allocation. No released tokenizer comes near 2²⁴ tokens.
    public static let maximumTokenID = (1 << 24) - 1

    /// Vocabulary and added-token ids in `0...maximumTokenID`, and a non-empty vocabulary.
    static func checkIDs(_ file: TokenizerFile, path: String) throws {
        if file.vocabulary.isEmpty {
            throw TokenizerError.invalidComponent(path: path, component: "model",
                                                  reason: "'vocab' is missing or empty; every text would encode to no tokens")
        }
        for entry in file.vocabulary where entry.id > maximumTokenID {
            throw TokenizerError.invalidComponent(path: path, component: "model",
                reason: "vocab id \(entry.id) of '\(entry.token)' is out of range 0...\(maximumTokenID)")
        }
        for (index, token) in file.addedTokens.enumerated() where token.id > maximumTokenID {
            throw TokenizerError.invalidComponent(path: path, component: "added_tokens",
                reason: "added_tokens[\(index)] '\(token.content)' has id \(token.id), out of range 0...\(maximumTokenID)")
        }
    }

    /// The ids a post-processor template adds (`special_tokens.<name>.ids`) must be tokens of the file; otherwise
    /// every encoded text would carry an id no model row belongs to.
    static func checkPostProcessorIDs(_ file: TokenizerFile, tokensByID: [String?], path: String) throws {
        func check(_ config: PostProcessorConfiguration) throws {
            switch config {
            case let .templateProcessing(_, specialTokens):
                for (name, token) in specialTokens.sorted(by: { $0.key < $1.key }) {
                    for id in token.ids where !(id >= 0 && id < tokensByID.count && tokensByID[id] != nil) {
                        throw TokenizerError.invalidComponent(path: path, component: "post_processor",
                            reason: "special_tokens['\(name)'] has id \(id), which is no token of model.vocab or added_tokens")
                    }
                }
            case let .sequence(list): try list.forEach(check)
            default: break
            }
        }
        if let config = file.postProcessor { try check(config) }
    }

    /// A BPE model without merge rules can only produce single characters, so a vocabulary with multi-character
    /// tokens (other than added tokens, `<0xNN>` byte tokens and the unknown token, which are produced without
    /// merges) means the merges were lost — the tokens would multiply and every loss would change silently.
    static func checkMerges(_ file: TokenizerFile, path: String) throws {
        guard file.model.merges.isEmpty else { return }
        let added = Set(file.addedTokens.map { ByteKey($0.content) })
        let multi = file.vocabulary.filter { entry in
            guard entry.token.unicodeScalars.count > 1, !added.contains(ByteKey(entry.token)),
                  entry.token != file.model.unkToken else { return false }
            let isByteToken = entry.token.utf8.count == 6 && entry.token.hasPrefix("<0x") && entry.token.hasSuffix(">")
            return !(file.model.byteFallback && isByteToken)
        }
        guard let example = multi.first else { return }
        throw TokenizerError.invalidComponent(path: path, component: "model",
            reason: "'merges' is missing or empty, but the vocabulary has \(multi.count) multi-character token(s) "
                + "(e.g. '\(example.token)', id \(example.id)) that BPE can only build by merging")
    }
}
