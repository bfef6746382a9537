import Foundation
import SwiftTuneCore
import Testing

/// Hostile and damaged files: each must throw the right ``SafetensorsError`` naming the file, never crash or read
/// outside the mapping.
@Suite("Safetensors reader on malformed files")
struct SafetensorsMalformedTests {
    /// Writes `[length][header][data]` (length defaults to the header's byte count) and returns the error that
    /// opening it throws, or `nil` if it opens.
    func openError(header: String, data: [UInt8] = [], length: UInt64? = nil,
                   in directory: URL, name: String = "bad.safetensors") throws -> (SafetensorsError?, URL) {
        let headerBytes = Array(header.utf8)
        var bytes: [UInt8] = []
        let n = length ?? UInt64(headerBytes.count)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: n >> (8 * UInt64(i)))) }
        bytes += headerBytes + data
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return (openError(url), url)
    }

    func openError(_ url: URL) -> SafetensorsError? {
        do {
            _ = try SafetensorsFile(contentsOf: url)
            return nil
        } catch let error as SafetensorsError {
            #expect(error.path == url.path)
            #expect(error.description.contains(url.lastPathComponent), "\(error)")
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    @Test func truncatedFiles() throws {
        try withSafetensorsScratchDirectory { directory in
            let empty = directory.appendingPathComponent("empty.safetensors")
            try Data().write(to: empty)
            #expect(openError(empty) == .truncated(path: empty.path, fileSize: 0))
            let short = directory.appendingPathComponent("short.safetensors")
            try Data([8, 0, 0]).write(to: short)
            #expect(openError(short) == .truncated(path: short.path, fileSize: 3))

            // A real file cut short inside the data and inside the header.
            let original = try Data(contentsOf: try safetensorsFixture("f32"))
            let cut = directory.appendingPathComponent("cut.safetensors")
            try original.prefix(original.count - 10).write(to: cut)
            guard case let .offsetsOutOfBounds(_, tensor, _, end, dataSize)? = openError(cut) else {
                Issue.record("expected offsetsOutOfBounds for a file missing its last 10 bytes")
                return
            }
            #expect(!tensor.isEmpty && end > dataSize)
            try original.prefix(40).write(to: cut)
            guard case .headerLengthOutOfBounds(_, _, let limit)? = openError(cut) else {
                Issue.record("expected headerLengthOutOfBounds for a file cut inside its header")
                return
            }
            #expect(limit == 32)
            let missing = directory.appendingPathComponent("absent.safetensors")
            guard case .cannotOpen? = openError(missing) else {
                Issue.record("expected cannotOpen for a missing file")
                return
            }
        }
    }

    @Test func headerLengthBeyondTheFileOrTheLimit() throws {
        try withSafetensorsScratchDirectory { directory in
            let (error, url) = try openError(header: "{}", length: 1000, in: directory)
            #expect(error == .headerLengthOutOfBounds(path: url.path, length: 1000, limit: 2))
            let (huge, hugeURL) = try openError(header: "{}", length: .max, in: directory)
            #expect(huge == .headerLengthOutOfBounds(path: hugeURL.path, length: .max, limit: 2))
            let (overLimit, limitURL) = try openError(header: "{}", length: 100_000_001, in: directory)
            #expect(overLimit == .headerLengthOutOfBounds(path: limitURL.path, length: 100_000_001, limit: 2))
        }
    }

    @Test(arguments: [
        "not json at all",
        "[1, 2, 3]",
        #"{"a": {"dtype": "F32", "shape": [1]}}"#,
        #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}}"#,
        #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4.5]}}"#,
        #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 99999999999999999999999]}}"#,
        #"{"a": {"dtype": 3, "shape": [1], "data_offsets": [0, 4]}}"#,
        #"{"__metadata__": {"k": 1}, "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#,
        "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}",
        "\u{FEFF}\u{0}",
    ])
    func headerThatIsNotTheExpectedJSON(_ header: String) throws {
        try withSafetensorsScratchDirectory { directory in
            let (error, url) = try openError(header: header, data: [0, 0, 0, 0], in: directory)
            guard case let .invalidHeader(path, reason)? = error else {
                Issue.record("expected invalidHeader for \(header), got \(String(describing: error))")
                return
            }
            #expect(path == url.path)
            #expect(!reason.isEmpty)
        }
    }

    @Test func numbersThatAreNotIntegersAreNamedAsSuch() throws {
        try withSafetensorsScratchDirectory { directory in
            for offsets in ["[0, 4.5]", "[0, 99999999999999999999999]"] {
                let header = #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": "# + offsets + "}}"
                let (error, _) = try openError(header: header, data: [0, 0, 0, 0], in: directory)
                guard case let .invalidHeader(_, reason)? = error else {
                    Issue.record("expected invalidHeader for data_offsets \(offsets)")
                    continue
                }
                #expect(reason.contains("not an integer"), "\(reason)")
            }
            let (missing, _) = try openError(header: #"{"a": {"dtype": "F32", "shape": [1]}}"#, in: directory)
            #expect(missing?.description.contains("'a': missing key 'data_offsets'") == true, "\(String(describing: missing))")
        }
    }

    @Test func invalidUTF8Header() throws {
        try withSafetensorsScratchDirectory { directory in
            let url = directory.appendingPathComponent("utf8.safetensors")
            try Data([4, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0xFF, 0xFE, 0x7D]).write(to: url)
            guard case .invalidHeader? = openError(url) else {
                Issue.record("expected invalidHeader for bytes that are not UTF-8")
                return
            }
        }
    }

    @Test func offsetsOutsideTheData() throws {
        try withSafetensorsScratchDirectory { directory in
            let data = [UInt8](repeating: 0, count: 16)
            let cases: [(String, Int, Int)] = [("[8, 24]", 8, 24), ("[-4, 0]", -4, 0), ("[12, 8]", 12, 8)]
            for (offsets, begin, end) in cases {
                let header = #"{"a": {"dtype": "F32", "shape": [4], "data_offsets": "# + offsets + "}}"
                let (error, url) = try openError(header: header, data: data, in: directory)
                #expect(error == .offsetsOutOfBounds(path: url.path, tensor: "a", begin: begin, end: end, dataSize: 16))
            }
        }
    }

    @Test func overlappingRanges() throws {
        try withSafetensorsScratchDirectory { directory in
            let header = #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "#
                + #""b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}, "#
                + #""c": {"dtype": "F32", "shape": [0], "data_offsets": [4, 4]}}"#
            let (error, url) = try openError(header: header, data: .init(repeating: 0, count: 12), in: directory)
            #expect(error == .overlappingTensors(path: url.path, first: "a", second: "b"))
            // Containment, far apart in name order.
            let nested = #"{"outer": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, "#
                + #""m": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}"#
            let (inner, innerURL) = try openError(header: nested, data: .init(repeating: 0, count: 16), in: directory)
            #expect(inner == .overlappingTensors(path: innerURL.path, first: "outer", second: "m"))
        }
    }

    @Test func byteCountThatDisagreesWithDtypeAndShape() throws {
        try withSafetensorsScratchDirectory { directory in
            let header = #"{"w": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [0, 24]}}"#
            let (error, url) = try openError(header: header, data: .init(repeating: 0, count: 24), in: directory)
            #expect(error == .byteCountMismatch(path: url.path, tensor: "w", dtype: .bfloat16, shape: [2, 3],
                                                expected: 12, actual: 24))
        }
    }

    @Test func unknownDtype() throws {
        try withSafetensorsScratchDirectory { directory in
            let header = #"{"w": {"dtype": "F4", "shape": [2], "data_offsets": [0, 1]}}"#
            let (error, url) = try openError(header: header, data: [0], in: directory)
            #expect(error == .unknownDType(path: url.path, tensor: "w", dtype: "F4"))
        }
    }

    @Test func negativeOrOverflowingShape() throws {
        try withSafetensorsScratchDirectory { directory in
            let negative = #"{"w": {"dtype": "F32", "shape": [-1, 4], "data_offsets": [0, 0]}}"#
            let (error, url) = try openError(header: negative, data: [], in: directory)
            #expect(error == .invalidShape(path: url.path, tensor: "w", shape: [-1, 4]))
            // Product overflows Int: 2^32 · 2^32.
            let huge = #"{"w": {"dtype": "U8", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}}"#
            let (overflow, hugeURL) = try openError(header: huge, in: directory)
            #expect(overflow == .invalidShape(path: hugeURL.path, tensor: "w", shape: [4_294_967_296, 4_294_967_296]))
            // Element count fits but bytes do not: 2^62 F32 elements.
            let bytes = #"{"w": {"dtype": "F32", "shape": [4611686018427387904], "data_offsets": [0, 0]}}"#
            let (byteOverflow, bytesURL) = try openError(header: bytes, in: directory)
            #expect(byteOverflow == .invalidShape(path: bytesURL.path, tensor: "w", shape: [4_611_686_018_427_387_904]))
        }
    }

    @Test func validEdgeCasesStillOpen() throws {
        try withSafetensorsScratchDirectory { directory in
            // Empty header, no tensors; zero-size tensors anywhere; dtypes SwiftTune only parses.
            #expect(try openError(header: "{}", in: directory).0 == nil)
            let header = #"{"e": {"dtype": "F16", "shape": [0, 3], "data_offsets": [2, 2]}, "#
                + #""b": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}, "#
                + #""i": {"dtype": "I8", "shape": [], "data_offsets": [2, 3]}}  "#
            let (error, url) = try openError(header: header, data: [1, 0, 0xFF], in: directory)
            #expect(error == nil)
            let file = try SafetensorsFile(contentsOf: url)
            #expect(try file.tensor("b", as: Int32.self).scalars == [1, 0])
            #expect(try file.tensor("i", as: Int64.self).scalars == [-1])
            #expect(try file.tensor("e", as: Float.self).shape == [0, 3])
            #expect(file.tensorNames == ["b", "e", "i"])
        }
    }

    /// Random damage to a real file (byte changes in the header and length, truncation, extension): every variant
    /// must open and read completely or throw a ``SafetensorsError``. A crash or stray read fails the run.
    @Test func randomlyDamagedFilesNeverCrash() throws {
        let original = [UInt8](try Data(contentsOf: try safetensorsFixture("mixed")))
        let headerEnd = 8 + Int(original[0]) + Int(original[1]) << 8
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {  // xorshift64*, deterministic
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return Int((state &* 0x2545_F491_4F6C_DD1D) >> 33) % bound
        }
        let digits = Array("0123456789-[],\"{}".utf8)
        var (opened, rejected) = (0, 0)
        try withSafetensorsScratchDirectory { directory in
            let url = directory.appendingPathComponent("fuzz.safetensors")
            for _ in 0..<1000 {
                var bytes = original
                switch next(4) {
                case 0: bytes = Array(bytes.prefix(next(bytes.count)))
                case 1: bytes += [UInt8](repeating: 0x20, count: next(64))
                default:
                    for _ in 0...next(3) {
                        let at = next(headerEnd)
                        bytes[at] = next(2) == 0 ? digits[next(digits.count)] : UInt8(next(256))
                    }
                }
                try Data(bytes).write(to: url)
                do {
                    let file = try SafetensorsFile(contentsOf: url)
                    for name in file.tensorNames {
                        let info = try file.info(name)
                        if info.dtype.isConvertibleFloatingPoint { _ = try file.tensor(name, as: Double.self).scalars }
                        else { _ = try file.tensor(name, as: Int64.self).scalars }
                    }
                    opened += 1
                } catch let error as SafetensorsError {
                    #expect(error.path == url.path)
                    rejected += 1
                }
            }
        }
        #expect(rejected > 100, "only \(rejected) of 1000 damaged files were rejected (\(opened) opened)")
    }
}
