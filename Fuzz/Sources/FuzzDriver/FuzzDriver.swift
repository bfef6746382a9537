// The entry point shared by the fuzz targets.
//
// SwiftPM links an executable target with `main` aliased to the module's own entry point (`<Module>_main`), so a
// target cannot simply leave `main` to libFuzzer. Each target therefore has an `@main` type that hands its
// `LLVMFuzzerTestOneInput` to libFuzzer's documented driver entry, `LLVMFuzzerRunDriver`
// (https://llvm.org/docs/LibFuzzer.html#using-libfuzzer-as-a-library), which parses the usual libFuzzer flags.

/// The fuzz callback: one input, returns 0.
public typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: FuzzCallback
) -> CInt

/// Runs libFuzzer with the process' arguments and exits with its status.
public func runFuzzer(_ callback: FuzzCallback) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv, callback)
    exit(status)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
