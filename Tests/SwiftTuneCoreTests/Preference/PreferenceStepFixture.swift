import Foundation
import SwiftTuneCore
import Testing
import TestSupport

/// `Fixtures/preference-step/`, written by `Tools/generate_preference_step_fixtures.py`: one SGD step of a
/// preference objective on llama-gqa + the PEFT adapter in `adapter/`, computed with transformers + PEFT and the
/// ms-swift / TRL loss code.
struct PreferenceStepFixture {
    struct Pair: Decodable { let prompt, chosen, rejected: [Int] }
    struct KTORow: Decodable { let prompt, completion: [Int]; let desirable: Bool }
    struct Data: Decodable {
        let versions: [String: String]
        let lr: Double
        let cases: [String]
        let pair_count: Int
        let ids, labels: [[Int]]
        let pairs: [Pair]
        let kto: [KTORow]
    }

    static func folder() throws -> URL {
        try #require(Bundle.module.url(forResource: "preference-step", withExtension: nil, subdirectory: "Fixtures"))
    }

    static func model(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/models"))
    }

    static func data() throws -> Data {
        try JSONDecoder().decode(Data.self, from: Foundation.Data(contentsOf: folder().appendingPathComponent("data.json")))
    }

    /// One case's JSON object (`loss`, `metrics`, `policy`, `reference`, `after` / `delta`, hyperparameters).
    static func record(_ name: String) throws -> [String: Any] {
        let url = try folder().appendingPathComponent("\(name).json")
        return try #require(try JSONSerialization.jsonObject(with: Foundation.Data(contentsOf: url)) as? [String: Any])
    }

    static func pairs(_ d: Data) -> [PreferencePair] {
        d.pairs.map { PreferencePair(promptIDs: $0.prompt, chosenIDs: $0.chosen, rejectedIDs: $0.rejected) }
    }

    static func ktoExamples(_ d: Data) -> [KTOExample] {
        d.kto.map { KTOExample(promptIDs: $0.prompt, completionIDs: $0.completion, desirable: $0.desirable) }
    }

    /// llama-gqa with the fixture's adapter loaded trainable.
    static func loraModel<Scalar: TensorScalar>(_ type: Scalar.Type) throws -> CausalLanguageModel<Scalar> {
        let model = try CausalLanguageModel<Scalar>.load(from: model("llama-gqa"))
        try model.loadLoRAAdapter(from: folder().appendingPathComponent("adapter"), trainable: true)
        return model
    }
}

extension [String: Any] {
    func double(_ key: String) -> Double? { (self[key] as? NSNumber)?.doubleValue }
    func doubles(_ key: String) -> [Double]? { (self[key] as? [NSNumber])?.map(\.doubleValue) }
    func strings(_ key: String) -> [String]? { self[key] as? [String] ?? (self[key] as? String).map { [$0] } }
    func table(_ key: String) -> [String: Double] {
        (self[key] as? [String: NSNumber] ?? [:]).mapValues(\.doubleValue)
    }
    func vectors(_ key: String) -> [String: [Double]] {
        (self[key] as? [String: [NSNumber]] ?? [:]).mapValues { $0.map(\.doubleValue) }
    }
    func sequences(_ key: String) -> (chosen: [Double], rejected: [Double])? {
        guard let o = self[key] as? [String: [NSNumber]], let c = o["chosen"], let r = o["rejected"] else { return nil }
        return (c.map(\.doubleValue), r.map(\.doubleValue))
    }
}

/// `#expect` that every parameter's update `after − before` matches the fixture's `after − before` (both sides
/// start from the same float32 adapter file, so `before` is the fixture's starting point too).
func expectUpdates<Scalar: TensorScalar>(_ parameters: [Parameter<Scalar>], before: [String: [Double]],
                                         expectedAfter: [String: [Double]], rtol: Double, atol: Double, _ what: String,
                                         sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(Set(parameters.map(\.path)) == Set(expectedAfter.keys), "\(what): trained parameter names",
            sourceLocation: sourceLocation)
    for p in parameters {
        guard let theirs = expectedAfter[p.path], let start = before[p.path] else { continue }
        let ours = zip(p.value.doubles, start).map { $0 - $1 }
        let expected = zip(theirs, start).map { $0 - $1 }
        #expect(expected.contains { $0 != 0 }, "\(what) \(p.path): the reference step moves it",
                sourceLocation: sourceLocation)
        let r = allClose(ours, expected, rtol: rtol, atol: atol)
        #expect(r.ok, "\(what) \(p.path) update: \(r.report)", sourceLocation: sourceLocation)
    }
}
