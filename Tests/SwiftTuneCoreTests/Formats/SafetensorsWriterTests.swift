import Foundation
@testable import SwiftTuneCore
import Testing

@Suite("Safetensors writer")
struct SafetensorsWriterTests {
    /// Tensors exercising values, scalars and empty shapes.
    static func sample() -> [String: Tensor<Float>] {
        var rng = RandomGenerator(seed: 11)
        var wide = Tensor<Float>.randomNormal([2, 3, 4], standardDeviation: 100, generator: &rng)
        wide.withUnsafeMutableScalars { values in
            values[0] = .infinity; values[1] = -0.0; values[2] = Float(bitPattern: 0x0001_16C2); values[3] = 70000; values[4] = 1 + 1 / 256
        }
        return [
            "wide": wide,
            "scalar": Tensor(scalar: 0.1),
            "empty": Tensor<Float>.zeros([0, 3]),
            "row": Tensor([1.5, -2.25, 3.0e-5]),
        ]
    }

    @Test(arguments: [SafetensorsDType.float32, .float16, .bfloat16, .float64])
    func roundTripPreservesShapesAndRoundsAsTheDtype(_ dtype: SafetensorsDType) throws {
        try withSafetensorsScratchDirectory { directory in
            let url = directory.appendingPathComponent("round.safetensors")
            let tensors = Self.sample()
            try SafetensorsWriter.write(tensors, dtype: dtype, metadata: ["format": "pt", "step": "3"], to: url)
            let file = try SafetensorsFile(contentsOf: url)
            #expect(file.metadata == ["format": "pt", "step": "3"])
            #expect(Set(file.tensorNames) == Set(tensors.keys))
            for (name, original) in tensors {
                let read = try file.tensor(name, as: Float.self)
                #expect(try file.info(name).dtype == dtype)
                #expect(read.shape == original.shape, "\(name)")
                // Expected: the value narrowed by the element type's own conversion, then widened.
                let expected: [Float] = original.scalars.map { x in
                    switch dtype {
                    case .float16: return HalfPrecision.float(fromBits: HalfPrecision.bits(from: x))
                    case .bfloat16: return BFloat16(x).floatValue
                    default: return x
                    }
                }
                let check = sameValues(read.scalars.map(Double.init), expected.map(Double.init))
                #expect(check.ok, "\(dtype) \(name): \(check.report)")
            }
        }
    }

    @Test func doubleAndIntegerTensorsRoundTripExactly() throws {
        try withSafetensorsScratchDirectory { directory in
            let url = directory.appendingPathComponent("exact.safetensors")
            let doubles = Tensor<Double>(shape: [2, 2], scalars: [1.0 / 3, -1e300, .pi, .leastNonzeroMagnitude])
            let longs = Tensor<Int64>(shape: [3], scalars: [.min, 0, .max])
            let ints = Tensor<Int32>(shape: [1, 2], scalars: [-7, .max])
            try SafetensorsWriter.write([.init(name: "d", tensor: doubles), .init(name: "l", tensor: longs),
                                         .init(name: "i", tensor: ints)], to: url)
            let file = try SafetensorsFile(contentsOf: url)
            #expect(file.metadata.isEmpty)
            #expect(try file.tensor("d", as: Double.self) == doubles)
            #expect(try file.tensor("l", as: Int64.self) == longs)
            #expect(try file.tensor("i", as: Int32.self) == ints)
            #expect(try file.tensor("i", as: Int64.self).scalars == [-7, Int64(Int32.max)])
            #expect(try file.info("d").dtype == .float64)
        }
    }

    /// For every fixture: write the same tensors and metadata and expect the Python library's exact bytes.
    @Test(arguments: ["f32", "f16", "bf16", "mixed", "model-00001-of-00002", "model-00002-of-00002"])
    func outputIsByteIdenticalToPython(_ name: String) throws {
        let expected = try #require(try SafetensorsExpectations.load().files["\(name).safetensors"])
        var entries: [SafetensorsWriter.Entry] = []
        for (tensorName, entry) in expected.tensors {
            let dtype = try #require(SafetensorsDType(rawValue: entry.dtype))
            switch dtype {
            case .float64:
                entries.append(.init(name: tensorName, tensor: Tensor(shape: entry.shape, scalars: entry.doubles)))
            case .int64:
                entries.append(.init(name: tensorName, tensor: Tensor(shape: entry.shape, scalars: entry.doubles.map { Int64($0) })))
            default:
                // The stored values are exact in Float and in their own dtype, so narrowing them is lossless.
                entries.append(.init(name: tensorName, tensor: Tensor(shape: entry.shape, scalars: entry.doubles.map { Float($0) }),
                                     dtype: dtype))
            }
        }
        let reference = try Data(contentsOf: try safetensorsFixture(name))
        try withSafetensorsScratchDirectory { directory in
            let url = directory.appendingPathComponent("\(name).safetensors")
            try SafetensorsWriter.write(entries.shuffled(), metadata: expected.metadata, to: url)
            let written = try Data(contentsOf: url)
            let firstDifference = zip(written, reference).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(written.count, reference.count)
            #expect(written == reference,
                    "\(name): \(written.count) vs \(reference.count) bytes, first difference at byte \(firstDifference)")
        }
    }

    @Test func headerIsSpacePaddedAndEscapedAsSerdeJSON() throws {
        try withSafetensorsScratchDirectory { directory in
            let url = directory.appendingPathComponent("escape.safetensors")
            let name = "a\"/\u{e9}\n\u{1}\u{7f}\\"
            try SafetensorsWriter.write([.init(name: name, tensor: Tensor<Float>([1]))], metadata: ["k\"": "v\u{2028}"], to: url)
            let bytes = try [UInt8](Data(contentsOf: url))
            let length = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            #expect(length % 8 == 0)
            // The header Python writes for the same name and metadata (safetensors 0.8.0).
            let python = #"{"__metadata__":{"k\"":"v"# + "\u{2028}" + #""},"a\"/"# + "\u{e9}" + #"\n\u0001"# + "\u{7f}"
                + #"\\":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
            let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
            #expect(header.hasPrefix(python), "\(header)")
            #expect(header.dropFirst(python.count).allSatisfy { $0 == " " })
            #expect(try SafetensorsFile(contentsOf: url).tensorNames == [name])
        }
    }

    @Test func invalidEntriesThrowBeforeTouchingTheFile() throws {
        try withSafetensorsScratchDirectory { directory in
            let url = directory.appendingPathComponent("keep.safetensors")
            try SafetensorsWriter.write(["w": Tensor<Float>([1, 2])], to: url)
            let before = try Data(contentsOf: url)
            #expect(throws: SafetensorsError.invalidTensorName(path: url.path, tensor: "w", reason: "used twice")) {
                try SafetensorsWriter.write([.init(name: "w", tensor: Tensor<Float>([1])),
                                             .init(name: "w", tensor: Tensor<Float>([2]))], to: url)
            }
            #expect(throws: SafetensorsError.invalidTensorName(path: url.path, tensor: "__metadata__",
                                                               reason: "reserved for metadata")) {
                try SafetensorsWriter.write([.init(name: "__metadata__", tensor: Tensor<Float>([1]))], to: url)
            }
            #expect(throws: SafetensorsError.unsupportedConversion(path: url.path, tensor: "ids", from: "Int32", to: "BF16")) {
                try SafetensorsWriter.write([.init(name: "ids", tensor: Tensor<Int32>([1]), dtype: .bfloat16)], to: url)
            }
            #expect(try Data(contentsOf: url) == before)
        }
    }

    @Test func failedWritesLeaveNoTemporaryFileAndKeepTheOldFile() throws {
        try withSafetensorsScratchDirectory { directory in
            // Missing directory.
            let nowhere = directory.appendingPathComponent("missing/out.safetensors")
            do {
                try SafetensorsWriter.write(["w": Tensor<Float>([1])], to: nowhere)
                Issue.record("expected a write failure")
            } catch let SafetensorsError.writeFailed(path, _) {
                #expect(path == nowhere.path)
            }
            // The destination is a directory: the temporary file is written, then rename fails.
            let blocked = directory.appendingPathComponent("blocked.safetensors")
            try FileManager.default.createDirectory(at: blocked, withIntermediateDirectories: false)
            do {
                try SafetensorsWriter.write(["w": Tensor<Float>([1])], to: blocked)
                Issue.record("expected a write failure")
            } catch let SafetensorsError.writeFailed(path, reason) {
                #expect(path == blocked.path)
                #expect(reason.contains("rename"), "\(reason)")
            }
            // A failure in the middle of the data keeps the previous file byte for byte.
            let url = directory.appendingPathComponent("model.safetensors")
            try SafetensorsWriter.write(["w": Tensor<Float>([1, 2, 3])], to: url)
            let before = try Data(contentsOf: url)
            struct Interrupted: Error {}
            #expect(throws: Interrupted.self) {
                try AtomicFileWriter.write(to: url) { sink in
                    try sink.write([1, 2, 3, 4])
                    throw Interrupted()
                }
            }
            #expect(try Data(contentsOf: url) == before)
            let left = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            #expect(left == ["blocked.safetensors", "model.safetensors"], "temporary files left: \(left)")
        }
    }

    @Test func overwritingAMappedFileKeepsOldTensorsValid() throws {
        try withSafetensorsScratchDirectory { directory in
            let url = directory.appendingPathComponent("live.safetensors")
            try SafetensorsWriter.write(["w": Tensor<Float>([1, 2, 3, 4])], to: url)
            let old = try SafetensorsFile(contentsOf: url).tensor("w", as: Float.self)
            try SafetensorsWriter.write(["w": Tensor<Float>([5, 6])], to: url)
            #expect(old.scalars == [1, 2, 3, 4])
            #expect(try SafetensorsFile(contentsOf: url).tensor("w", as: Float.self).scalars == [5, 6])
        }
    }
}
