import Foundation
import SwiftTuneCore

/// A reference file written by `Tools/generate_fused_fixtures.py` (PyTorch, float64 references).
public struct Fixture: Decodable {
    public struct Entry: Decodable {
        public let shape: [Int]
        public let data: [Double]
    }

    public let format: String
    public let version: Int
    public let op: String
    public let tensors: [String: Entry]
    public let params: [String: ParamValue]?

    /// A parameter value: number, string or list of numbers.
    public enum ParamValue: Decodable {
        case number(Double)
        case string(String)
        case other

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let d = try? c.decode(Double.self) { self = .number(d) }
            else if let s = try? c.decode(String.self) { self = .string(s) }
            else { self = .other }
        }

        public var number: Double? { if case let .number(d) = self { return d } else { return nil } }
    }

    /// Loads `Fixtures/<subfolder>/<name>.json` from a test bundle and checks its magic and version.
    public static func load(_ name: String, subfolder: String, bundle: Bundle) throws -> Fixture {
        guard let url = bundle.url(forResource: name, withExtension: "json", subdirectory: "Fixtures/\(subfolder)") else {
            throw FixtureError.missing("Fixtures/\(subfolder)/\(name).json")
        }
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        guard fixture.format == "swifttune-fixture", fixture.version == 1 else {
            throw FixtureError.badFormat("\(name): format \(fixture.format) version \(fixture.version)")
        }
        return fixture
    }

    public func tensor<S: TensorScalar>(_ name: String, as type: S.Type = S.self) throws -> Tensor<S> {
        guard let e = tensors[name] else { throw FixtureError.missing("\(op): tensor \(name)") }
        return Tensor(shape: e.shape, scalars: e.data.map { S($0) })
    }

    public func integers(_ name: String) throws -> [Int] {
        guard let e = tensors[name] else { throw FixtureError.missing("\(op): tensor \(name)") }
        return e.data.map { Int($0) }
    }

    public func values(_ name: String) throws -> [Double] {
        guard let e = tensors[name] else { throw FixtureError.missing("\(op): tensor \(name)") }
        return e.data
    }

    public func param(_ name: String) -> Double? { params?[name]?.number }
}

public enum FixtureError: Error, CustomStringConvertible {
    case missing(String)
    case badFormat(String)
    public var description: String {
        switch self {
        case let .missing(what): return "fixture missing: \(what)"
        case let .badFormat(what): return "fixture format: \(what)"
        }
    }
}
