// The BPE model: vocabulary, merge table and the per-word encoder, following `tokenizers`' models/bpe/model.rs
// (`merge_word`, `tokenize_with_cache`): ignore_merges, byte fallback to <0xNN>, fuse_unk, subword prefix/suffix,
// and a cache of words shorter than 256 bytes.

import Foundation

final class BPEModel: @unchecked Sendable {  // mutable state (the cache) is behind `cacheLock`
    let vocab: [ByteKey: Int]
    let merges: [UInt64: MergeTarget]
    let unkID: Int?
    let fuseUnk: Bool
    let ignoreMerges: Bool
    /// `byteIDs[b]` is the id of `<0xNN>` for byte b (all 256 must not be present; a missing one disables fallback
    /// for characters that need it, as in `tokenizers`).
    let byteIDs: [Int?]?
    let prefix: [UInt8]
    let suffix: [UInt8]
    /// Ids of single-scalar tokens, the common first lookup.
    private let scalarIDs: [UInt32: Int32]

    private let cacheLock = NSLock()
    private var cache: [ByteKey: [Int32]] = [:]
    static let cacheCapacity = 100_000
    /// `tokenizers` only caches words shorter than this many bytes.
    static let cacheableLength = 256

    init(_ config: TokenizerModelConfiguration, vocabulary: [VocabularyEntry], path: String) throws {
        guard config.type == "BPE" else {
            throw TokenizerError.unsupportedComponent(path: path, component: "model", type: config.type)
        }
        var vocab: [ByteKey: Int] = [:]
        vocab.reserveCapacity(vocabulary.count)
        var scalarIDs: [UInt32: Int32] = [:]
        for entry in vocabulary {
            guard entry.id >= 0, entry.id < Int(Int32.max) else {
                throw TokenizerError.invalidComponent(path: path, component: "model",
                                                      reason: "vocab id \(entry.id) of '\(entry.token)' is out of range")
            }
            vocab[ByteKey(entry.token)] = entry.id
            let scalars = entry.token.unicodeScalars
            if scalars.count == 1, let s = scalars.first { scalarIDs[s.value] = Int32(entry.id) }
        }
        self.vocab = vocab
        self.scalarIDs = scalarIDs
        prefix = Array((config.continuingSubwordPrefix ?? "").utf8)
        suffix = Array((config.endOfWordSuffix ?? "").utf8)
        fuseUnk = config.fuseUnk
        ignoreMerges = config.ignoreMerges

        if let unk = config.unkToken {
            guard let id = vocab[ByteKey(unk)] else {
                throw TokenizerError.unknownToken(path: path, token: unk, context: "model.unk_token")
            }
            unkID = id
        } else {
            unkID = nil
        }
        if config.byteFallback {
            byteIDs = (0..<256).map { vocab[ByteKey(String(format: "<0x%02X>", $0))] }
        } else {
            byteIDs = nil
        }

        var merges: [UInt64: MergeTarget] = [:]
        merges.reserveCapacity(config.merges.count)
        for (rank, rule) in config.merges.enumerated() {
            guard let a = vocab[ByteKey(rule.left)] else {
                throw TokenizerError.unknownToken(path: path, token: rule.left, context: "model.merges[\(rank)]")
            }
            guard let b = vocab[ByteKey(rule.right)] else {
                throw TokenizerError.unknownToken(path: path, token: rule.right, context: "model.merges[\(rank)]")
            }
            // The merged token drops the right side's continuing-subword prefix, as in `tokenizers`.
            let rightBytes = Array(rule.right.utf8)
            let rightTail = rightBytes.starts(with: prefix) ? Array(rightBytes[prefix.count...]) : rightBytes
            let merged = Array(rule.left.utf8) + rightTail
            guard let newID = vocab[ByteKey(merged)] else {
                throw TokenizerError.unknownToken(path: path, token: String(decoding: merged, as: UTF8.self),
                                                  context: "model.merges[\(rank)] (merged token)")
            }
            merges[pairKey(Int32(a), Int32(b))] = MergeTarget(rank: Int32(rank), newID: Int32(newID))
        }
        self.merges = merges
    }

    /// Appends the ids of one pre-tokenized word.
    func tokenize(_ word: String, into out: inout [Int]) {
        let bytes = Array(word.utf8)
        if bytes.isEmpty { return }
        if ignoreMerges, let id = vocab[ByteKey(bytes)] {
            out.append(id)
            return
        }
        let key = ByteKey(bytes)
        let cacheable = bytes.count < BPEModel.cacheableLength
        if cacheable {
            cacheLock.lock()
            let hit = cache[key]
            cacheLock.unlock()
            if let hit {
                for id in hit { out.append(Int(id)) }
                return
            }
        }
        var ids: [Int32] = []
        mergeWord(bytes).tokens(into: &ids)
        for id in ids { out.append(Int(id)) }
        if cacheable {
            cacheLock.lock()
            if cache.count < BPEModel.cacheCapacity { cache[key] = ids }
            cacheLock.unlock()
        }
    }

    /// Splits the word into scalars, looks each up (with byte fallback / unk), then merges (`merge_word`).
    func mergeWord(_ bytes: [UInt8]) -> BPEWord {
        var word = BPEWord(capacity: bytes.count)
        var pendingUnk: (id: Int32, length: Int)?
        let plain = prefix.isEmpty && suffix.isEmpty
        var i = 0
        while i < bytes.count {
            let (scalar, length) = decodeScalar(at: i, in: bytes)
            let isFirst = i == 0
            let isLast = i + length == bytes.count
            var symbol: [UInt8] = []
            var id: Int32?
            if plain {
                id = scalarIDs[scalar.value]
            } else {
                symbol = Array(bytes[i..<(i + length)])
                if !isFirst { symbol = prefix + symbol }
                if isLast { symbol += suffix }
                id = vocab[ByteKey(symbol)].map { Int32($0) }
            }
            defer { i += length }
            if let id {
                if let unk = pendingUnk {
                    word.add(unk.id)
                    pendingUnk = nil
                }
                word.add(id)
                continue
            }
            // Byte fallback only applies when every byte of the symbol has a <0xNN> token. Like `tokenizers`,
            // it does not flush a pending unk first.
            if let byteIDs {
                if plain { symbol = Array(bytes[i..<(i + length)]) }
                var all: [Int32] = []
                for b in symbol {
                    guard let id = byteIDs[Int(b)] else { break }
                    all.append(Int32(id))
                }
                if all.count == symbol.count {
                    for id in all { word.add(id) }
                    continue
                }
            }
            if let unkID {
                if let unk = pendingUnk {
                    if fuseUnk {
                        pendingUnk = (unk.id, unk.length + length)
                    } else {
                        word.add(unk.id)
                        pendingUnk = (Int32(unkID), length)
                    }
                } else {
                    pendingUnk = (Int32(unkID), length)
                }
            }
        }
        if let unk = pendingUnk { word.add(unk.id) }
        word.mergeAll(merges)
        return word
    }
}
