// libFuzzer target: the bytes are a whole `.safetensors` file.
//
// The public reader only opens files (it memory-maps them), so each input is written to one scratch file that is
// reused for every run. Every tensor the header declares is then read as stored bytes and converted to `Float`
// and `Int64`: a header that passes validation must never make a read leave the mapping. Every error must be a
// `SafetensorsError` naming the file.
import Foundation
import FuzzDriver
import SwiftTuneCore

private let scratch = scratchURL("input.safetensors")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Data(bytes: data, count: size)
    guard (try? bytes.write(to: scratch)) != nil else { return 0 }
    do {
        let file = try SafetensorsFile(contentsOf: scratch)
        _ = file.metadata
        for name in file.tensorNames {
            let info = try file.info(name)
            let stored = try file.storedBytes(name)
            if stored.count != info.dataOffsets.count {
                fatalError("'\(name)': \(stored.count) bytes read, \(info.dataOffsets.count) declared")
            }
            do {
                let tensor = try file.tensor(name, as: Float.self)
                if tensor.shape != info.shape { fatalError("'\(name)': shape \(tensor.shape) read, \(info.shape) declared") }
            } catch {
                requireTypedError(error, [SafetensorsError.self], naming: scratch.path)
            }
            do { _ = try file.tensor(name, as: Int64.self) } catch {
                requireTypedError(error, [SafetensorsError.self], naming: scratch.path)
            }
        }
    } catch {
        requireTypedError(error, [SafetensorsError.self], naming: scratch.path)
    }
    return 0
}

@main
enum FuzzSafetensorsMain {
    static func main() { runFuzzer(fuzz) }
}
