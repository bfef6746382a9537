// Shared by every benchmark area: what a workload is (inputs made once, an untimed `prepare`, a timed `run`), the
// clock, and the resident-memory high-water mark. The areas' workload libraries re-export this module.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CBenchBLAS
import Foundation
import SwiftTuneCore

/// What one timed call does, for converting a time into a rate.
public enum Work {
    /// Floating-point operations per call (reported as GFLOP/s).
    case flops(Double)
    /// Bytes read + written per call (reported as GB/s, 1 GB = 10⁹ bytes).
    case bytes(Double)

    public var amount: Double {
        switch self {
        case .flops(let x), .bytes(let x): return x
        }
    }

    /// GFLOP/s or GB/s for one call that took `seconds`.
    public func rate(seconds: Double) -> Double { amount / seconds / 1e9 }
}

/// One iteration's state: `prepare` is not timed, `run` is.
public final class Instance {
    public let prepare: () -> Void
    public let run: () -> Void
    /// For matmul: the raw `cblas_sgemm` on the same buffers, timed separately as the reference.
    public let reference: (() -> Void)?

    public init(prepare: @escaping () -> Void = {}, run: @escaping () -> Void, reference: (() -> Void)? = nil) {
        self.prepare = prepare
        self.run = run
        self.reference = reference
    }
}

public struct Workload {
    /// Benchmark name, e.g. `matmul 512x1536x576` or `rmsNorm backward 4096x576`.
    public let name: String
    /// Short kind for JSON (`matmul`, `add`, `silu`, …).
    public let kind: String
    /// Shape string for JSON.
    public let shape: String
    public let work: Work
    /// Allocates the inputs (untimed, once).
    public let make: () -> Instance

    public init(name: String, kind: String, shape: String, work: Work, make: @escaping () -> Instance) {
        self.name = name
        self.kind = kind
        self.shape = shape
        self.work = work
        self.make = make
    }
}

/// Monotonic wall-clock seconds.
@inline(__always)
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Keeps a value alive and opaque to the optimizer.
@inline(never)
public func consume<T>(_ value: T) { withExtendedLifetime(value) {} }

/// OpenBLAS's thread count (SwiftTuneCore's matmul goes through the same OpenBLAS).
public var openBLASThreads: Int { Int(openblas_get_num_threads()) }

/// OpenBLAS's kernel name for this CPU (e.g. `Zen`, `Haswell`).
public var openBLASCore: String { String(cString: openblas_get_corename()) }


/// The process's resident high-water mark, resettable (Linux ≥ 4.0); nil elsewhere.
public enum ResidentMemory {
    /// A field of /proc/self/status in kB (`VmHWM`, `VmRSS`).
    public static func statusField(_ name: String) -> Int? {
        #if os(Linux)
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(cString: line)
            if text.hasPrefix(name + ":") {
                return text.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first
                    .flatMap { Int($0) }
            }
        }
        return nil
        #else
        return nil
        #endif
    }

    /// Resets VmHWM to the current resident size (writes 5 to /proc/self/clear_refs); returns that size in kB.
    @discardableResult
    public static func resetPeak() -> Int? {
        #if os(Linux)
        if let file = fopen("/proc/self/clear_refs", "w") {
            fputs("5", file)
            fclose(file)
        }
        return statusField("VmRSS")
        #else
        return nil
        #endif
    }

    /// VmHWM in kB.
    public static var peak: Int? { statusField("VmHWM") }

    /// The most bytes SwiftTuneCore's live tensors held at once while `body` ran, above what they held when it
    /// started (``Runtime/peakTensorBytes``): the computation's own peak memory, independent of what the allocator
    /// or the buffer cache keeps mapped. (Resident-size peaks were tried first and read 0 for most workloads:
    /// glibc and the buffer cache reuse memory the previous calls already made resident.)
    public static func peakTensorIncrease(_ body: () -> Void) -> Int {
        let before = Runtime.resetPeakTensorBytes()
        body()
        return max(0, Runtime.peakTensorBytes - before)
    }
}

/// Holds the last result so the timed call cannot be optimised away; it is released in the next (untimed)
/// `prepare`, so freeing the result is not part of the timed call.
public final class Sink {
    public var value: Tensor<Float>?
    public init() {}
}

/// Frees the reference sgemm's output buffer when the instance goes away.
public final class Deallocator {
    public let pointer: UnsafeMutablePointer<Float>
    public init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
    deinit { pointer.deallocate() }
}

/// Holds a workload's inputs between an ordo-one/benchmark suite's setup and teardown.
public final class InstanceBox {
    public var instance: Instance?
    public init() {}
}

/// One JSON object on one line from ordered (key, value) pairs, for the reports' JSON lines: strings quoted,
/// doubles with 6 significant digits (non-finite as null), integers as they are, `nil` as null.
public func jsonLine(_ pairs: [(String, Any?)]) -> String {
    let body = pairs.map { key, value -> String in
        let text: String
        switch value {
        case let s as String: text = "\"\(s)\""
        case let d as Double: text = d.isFinite ? String(format: "%.6g", d) : "null"
        case let i as Int: text = String(i)
        case nil: text = "null"
        default: text = "\"\(value!)\""
        }
        return "\"\(key)\": \(text)"
    }
    return "{" + body.joined(separator: ", ") + "}"
}
