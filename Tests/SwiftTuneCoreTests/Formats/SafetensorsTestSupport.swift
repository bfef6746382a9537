import Foundation
import SwiftTuneCore
import Testing

/// `Fixtures/safetensors/expected.json`, written by `Tools/generate_safetensors_fixtures.py` next to the
/// `.safetensors` files it describes.
struct SafetensorsExpectations: Decodable {
    struct File: Decodable {
        let metadata: [String: String]?
        let tensors: [String: Entry]
    }

    struct Entry: Decodable {
        let dtype: String
        let shape: [Int]
        let values: [Value]

        var doubles: [Double] { values.map(\.double) }
    }

    /// A number, or "nan" / "inf" / "-inf" (JSON has no literal for them).
    struct Value: Decodable {
        let double: Double
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                switch text {
                case "nan": double = .nan
                case "inf": double = .infinity
                case "-inf": double = -.infinity
                default: throw DecodingError.dataCorruptedError(in: container, debugDescription: "value \(text)")
                }
            } else {
                double = try container.decode(Double.self)
            }
        }
    }

    let format: String
    let version: Int
    let files: [String: File]

    static func load() throws -> SafetensorsExpectations {
        let url = try safetensorsFixture("expected", extension: "json")
        let expectations = try JSONDecoder().decode(SafetensorsExpectations.self, from: Data(contentsOf: url))
        try #require(expectations.format == "swifttune-fixture" && expectations.version == 1)
        return expectations
    }
}

/// The URL of `Fixtures/safetensors/<name>.<extension>` in the test bundle.
func safetensorsFixture(_ name: String, extension ext: String = "safetensors") throws -> URL {
    try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures/safetensors"),
                 "missing fixture Fixtures/safetensors/\(name).\(ext)")
}

/// A fresh empty directory under the system temporary directory, removed by `body`'s end.
func withSafetensorsScratchDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("swifttune-safetensors-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

/// Bitwise equality of two value lists, with every NaN equal to every NaN and -0 distinct from +0.
func sameValues(_ observed: [Double], _ expected: [Double]) -> (ok: Bool, report: String) {
    guard observed.count == expected.count else {
        return (false, "count: expected \(expected.count), observed \(observed.count)")
    }
    for (i, (o, e)) in zip(observed, expected).enumerated() {
        let same = (o.isNaN && e.isNaN) || o.bitPattern == e.bitPattern
        if !same { return (false, "index \(i): expected \(e), observed \(o) (tolerance 0)") }
    }
    return (true, "ok")
}
