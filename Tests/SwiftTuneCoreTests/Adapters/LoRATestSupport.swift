import Foundation
import SwiftTuneCore
import Testing
import TestSupport

/// Fixtures written by Tools/generate_lora_fixtures.py: PEFT adapter folders on the llama-gqa model, with PEFT's
/// float64 logits, loss and adapter gradients in expected.safetensors.
enum LoRAFixtures {
    static let variants = ["lora", "rslora", "dora"]

    static func folder(_ variant: String) throws -> URL {
        let root = try #require(Bundle.module.url(forResource: "lora", withExtension: nil, subdirectory: "Fixtures"))
        return root.appendingPathComponent(variant)
    }

    static func baseModel<Scalar: TensorScalar>(_ type: Scalar.Type = Float.self) throws -> CausalLanguageModel<Scalar> {
        let url = try #require(Bundle.module.url(forResource: "llama-gqa", withExtension: nil, subdirectory: "Fixtures/models"))
        return try CausalLanguageModel<Scalar>.load(from: url)
    }

    static func expected(_ variant: String) throws -> SafetensorsFile {
        try SafetensorsFile(contentsOf: folder(variant).appendingPathComponent("expected.safetensors"))
    }

    /// The fixture's ids and labels `[2, 8]`.
    static func batch(_ expected: SafetensorsFile) throws -> (ids: [Int], labels: [Int], shape: [Int]) {
        let ids = try expected.tensor("input_ids", as: Int64.self)
        let labels = try expected.tensor("labels", as: Int64.self)
        return (ids.scalars.map(Int.init), labels.scalars.map(Int.init), ids.shape)
    }

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("swifttune-\(name)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Gives every adapter nonzero B (and moves m off its initial norm), so an adapter changes the output.
    static func perturb<Scalar: TensorScalar>(_ adapters: [LoRALinear<Scalar>], seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        for adapter in adapters {
            adapter.loraB.assign(.randomNormal(adapter.loraB.shape, standardDeviation: 0.2, generator: &generator))
            if let m = adapter.magnitude {
                m.assign(m.value * Tensor<Scalar>.randomUniform(m.shape, low: 0.8, high: 1.2, generator: &generator))
            }
        }
    }
}

/// `#expect` that `observed` is close to `expected`, printing the worst element.
func expectClose<Scalar: TensorScalar>(_ observed: Tensor<Scalar>, _ expected: [Double], rtol: Double, atol: Double,
                                       _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let r = allClose(observed.doubles, expected, rtol: rtol, atol: atol)
    #expect(r.ok, "\(what): \(r.report)", sourceLocation: sourceLocation)
}
