// libFuzzer target: the bytes are a model folder's `config.json`.
//
// Decoded twice: directly as `ModelConfiguration`, and through `ModelFolder` (which also reads
// `quantization_config`) over a scratch folder whose weights file is a fixed, valid, one-tensor safetensors file.
// A configuration that decodes is encoded again and must decode to the same value.
import Foundation
import FuzzDriver
import SwiftTuneCore

private let folder: URL = {
    let url = scratchURL("model")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    // model.embed_tokens.weight: F32 [1, 1], one zero element.
    let header = Array(#"{"model.embed_tokens.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]}}"#.utf8)
    var file = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) }
    file += header + [0, 0, 0, 0]
    try? Data(file).write(to: url.appendingPathComponent("model.safetensors"))
    return url
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Data(bytes: data, count: size)
    if let configuration = try? JSONDecoder().decode(ModelConfiguration.self, from: bytes),
       let encoded = try? JSONEncoder().encode(configuration),
       let again = try? JSONDecoder().decode(ModelConfiguration.self, from: encoded), again != configuration {
        fatalError("config.json does not round-trip: \(configuration) became \(again)")
    }
    guard (try? bytes.write(to: folder.appendingPathComponent("config.json"))) != nil else { return 0 }
    _ = try? ModelFolder(folder)
    return 0
}

@main
enum FuzzModelConfigMain {
    static func main() { runFuzzer(fuzz) }
}
