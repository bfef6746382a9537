// libFuzzer target: the bytes are a `tokenizer.json`.
//
// The file is decoded, built into a `Tokenizer` (no tokenizer_config.json), and a fixed text mixing ASCII,
// whitespace runs, digits, accents, CJK, emoji and special-token look-alikes is encoded and decoded again.
// Every error must be a `TokenizerError` naming the file.
import Foundation
import FuzzDriver
import SwiftTuneCore

private let text = "Hello, world!  It's 2026-12-04 12:34.\n\tCafé naïve — 東京 🙂 <s> <|im_start|>user\r\n  ▁x  "
private let path = "fuzz/tokenizer.json"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Data(bytes: data, count: size)
    let tokenizer: Tokenizer
    do {
        tokenizer = try Tokenizer(file: try TokenizerFile.decode(bytes, path: path), config: nil, path: path)
    } catch {
        requireTypedError(error, [TokenizerError.self], naming: path)
        return 0
    }
    let ids = tokenizer.encode(text)
    _ = tokenizer.encode(text, addSpecialTokens: false)
    _ = tokenizer.decode(ids)
    _ = tokenizer.decode(ids + [-1, Int.max, tokenizer.vocabularySize], skipSpecialTokens: true)
    for id in ids.prefix(64) { _ = tokenizer.idToToken(id).map(tokenizer.tokenToID) }
    return 0
}

@main
enum FuzzTokenizerMain {
    static func main() { runFuzzer(fuzz) }
}
