// libFuzzer target: the bytes are a model folder's `config.json`.
//
// Decoded twice: directly as `ModelConfiguration`, and through `ModelFolder` (which also reads
// `quantization_config`) over a scratch folder whose weights file is a fixed, valid, one-tensor safetensors file.
// A configuration that decodes is encoded again and must decode to the same value. The folder reader's errors must
// be its documented types and name config.json.
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
    let configURL = folder.appendingPathComponent("config.json")
    guard (try? bytes.write(to: configURL)) != nil else { return 0 }
    do { _ = try ModelFolder(folder) } catch {
        requireTypedError(error, [ModelLoadingError.self, BitsAndBytesError.self, SafetensorsError.self],
                          naming: configURL.path)
    }
    return 0
}

@main
enum FuzzModelConfigMain {
    static func main() { runFuzzer(fuzz) }
}
