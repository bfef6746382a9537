import Foundation
@testable import SwiftTuneCore
import Testing

/// Rows with different LoRA adapters (and base rows) batched through one ``AdapterBank``, against each adapter
/// loaded the usual way; NF4 and LoRA policies on the decode path.
@Suite struct AdapterBankTests {
    /// Saves a random adapter (B ≠ 0) trained on the default model and returns its folder.
    static func adapter(_ name: String, _ configuration: LoRAConfiguration, seed: UInt64,
                        model: CausalLanguageModel<Float> = DecodingSupport.model()) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("swifttune-bank-\(name)-\(UUID().uuidString)")
        try model.applyLoRA(configuration, seed: seed)
        try model.saveLoRAAdapter(configuration, to: folder)
        return folder
    }

    static let x = LoRAConfiguration(rank: 4, alpha: 8, initialization: .linearDefault)
    static let y = LoRAConfiguration(rank: 2, alpha: 3, targetModules: .names(["q_proj", "v_proj", "down_proj"]),
                                     useRSLoRA: true, initialization: .linearDefault)

    func request(_ i: Int, adapter: String?) -> DecodingRequest {
        DecodingRequest(prompt: DecodingSupport.prompt(4 + i, seed: UInt64(200 + i)), maxNewTokens: 10,
                        sampling: SamplingOptions(temperature: i % 2 == 0 ? 0 : 1, seed: UInt64(i)), topLogprobs: 2,
                        adapter: adapter)
    }

    @Test func bankRowsEqualTheAdapterLoadedTheUsualWay() throws {
        let fx = try Self.adapter("x", Self.x, seed: 3), fy = try Self.adapter("y", Self.y, seed: 4)
        defer { for f in [fx, fy] { try? FileManager.default.removeItem(at: f) } }
        let base = DecodingSupport.model()
        let bank = try AdapterBank(model: base, adapters: [(name: "x", folder: fx), (name: "y", folder: fy)])
        #expect(bank.names == ["x", "y"])
        let names: [String?] = ["x", nil, "y", "x", "y", nil, "x"]
        let requests = names.enumerated().map { request($0.offset, adapter: $0.element) }
        let session = try DecodingSession(model: base, maxRows: 8, maxLength: 64, adapters: bank)
        let mixed = try DecodingSupport.run(session, requests, admitAt: [0, 1, 0, 2, 0, 0, 3])

        var expected: [DecodingSupport.Output] = []
        for (i, name) in names.enumerated() {
            let usual = DecodingSupport.model()
            if let name { try usual.loadLoRAAdapter(from: name == "x" ? fx : fy) }
            var alone = requests[i]
            alone.adapter = nil
            expected += try DecodingSupport.run(DecodingSession(model: usual, maxRows: 1, maxLength: 64), [alone])
        }
        for i in names.indices {
            #expect(mixed[i].tokens == expected[i].tokens, "row \(i) (\(names[i] ?? "base"))")
            for (a, b) in zip(mixed[i].logprobs, expected[i].logprobs) { #expect(abs(a - b) <= 1e-6) }
        }
        // The adapters change the output (the comparison is not between identical models).
        let baseOnly = try DecodingSupport.run(DecodingSession(model: DecodingSupport.model(), maxRows: 1, maxLength: 64),
                                               [request(0, adapter: nil)])[0]
        #expect(baseOnly.logprobs != mixed[0].logprobs)
        #expect(throws: DecodingSessionError.unknownAdapter(name: "z", available: ["x", "y"])) {
            try session.admit(request(0, adapter: "z"))
        }
    }

    @Test func adaptersThatDoNotFitTheBaseAreRefusedNamingTheTensor() throws {
        let other = ModelConfiguration(vocabularySize: 97, hiddenSize: 32, intermediateSize: 96, layerCount: 2,
                                       attentionHeads: 4, keyValueHeads: 2, maxPositions: 64)
        let wrong = try Self.adapter("wrong", Self.x, seed: 5, model: CausalLanguageModel<Float>(configuration: other, seed: 1))
        let fx = try Self.adapter("x2", Self.x, seed: 3)
        defer { for f in [wrong, fx] { try? FileManager.default.removeItem(at: f) } }
        let base = DecodingSupport.model()
        let file = wrong.appendingPathComponent(PEFTAdapterFolder.weightsFileName).path
        #expect(throws: LoRAError.shapeMismatch(file: file, key: "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
                                                expected: [4, 64], actual: [4, 32])) {
            _ = try AdapterBank(model: base, adapters: [(name: "x", folder: fx), (name: "wrong", folder: wrong)])
        }
        #expect(throws: DecodingSessionError.invalidSetting(name: "adapter name", value: "\"x\"", requirement: "must be unique")) {
            _ = try AdapterBank(model: base, adapters: [(name: "x", folder: fx), (name: "x", folder: fx)])
        }
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("swifttune-none-\(UUID().uuidString)")
        #expect(throws: LoRAError.self) { _ = try AdapterBank(model: base, adapters: [(name: "m", folder: missing)]) }
        // A bank belongs to the model it was built for.
        let bank = try AdapterBank(model: base, adapters: [(name: "x", folder: fx)])
        #expect(throws: DecodingSessionError.self) {
            _ = try DecodingSession(model: DecodingSupport.model(), maxRows: 1, maxLength: 8, adapters: bank)
        }
    }

    @Test func nf4AndLoRAPoliciesStayBatchInvariant() throws {
        for policy in ["nf4", "lora", "qlora"] {
            let model = DecodingSupport.model()
            if policy != "lora" { _ = model.quantizeNF4() }
            if policy != "nf4" { try model.applyLoRA(Self.x, seed: 9) }
            let requests = (0..<6).map { request($0, adapter: nil) }
            let alone = try requests.map { try DecodingSupport.run(DecodingSession(model: model, maxRows: 1, maxLength: 64), [$0])[0] }
            let together = try DecodingSupport.run(DecodingSession(model: model, maxRows: 6, maxLength: 64), requests,
                                                   admitAt: [1, 0, 0, 2, 0, 1])
            #expect(together == alone, "\(policy)")
            // Log-probabilities equal the model's own forward pass (gemm and NF4 tile paths: float tolerance).
            let ids = requests[1].prompt + alone[1].tokens
            let reference = logSoftmax(try withoutGradients { try model(ids, shape: [1, ids.count]) })
            reference.withUnsafeScalars { all in
                for (t, token) in alone[1].tokens.enumerated() {
                    #expect(abs(all[(requests[1].prompt.count - 1 + t) * 97 + token] - alone[1].logprobs[t]) < 1e-4, "\(policy)")
                }
            }
        }
    }
}
