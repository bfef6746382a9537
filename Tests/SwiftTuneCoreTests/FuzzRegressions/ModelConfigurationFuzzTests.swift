// Inputs found by Fuzz/FuzzModelConfig (Scripts/fuzz.sh config) that trapped; each must now throw a typed error.
import Foundation
import Testing
@testable import SwiftTuneCore

@Suite struct ModelConfigurationFuzzTests {
    private func config(heads: String, headDim: String? = nil) -> Data {
        let headDimension = headDim.map { #", "head_dim": \#($0)"# } ?? ""
        return Data(#"""
            {"architectures": ["Qwen2ForCausalLM"], "hidden_size": 48, "intermediate_size": 80,
             "num_hidden_layers": 2, "num_attention_heads": \#(heads), "num_key_value_heads": 2,
             "vocab_size": 96\#(headDimension)}
            """#.utf8)
    }

    /// num_attention_heads 0 divided hidden_size by zero in the memberwise initializer.
    @Test(arguments: ["0", "-1", "-9223372036854775808"])
    func nonPositiveHeadCountIsRefused(heads: String) throws {
        let error = #expect(throws: ModelConfigurationError.self) {
            try JSONDecoder().decode(ModelConfiguration.self, from: config(heads: heads))
        }
        let reason = "\(try #require(error))"
        #expect(reason.contains("num_attention_heads"), "\(reason)")
        #expect(reason.contains(heads), "\(reason)")
    }

    /// With head_dim given nothing is divided, but zero heads is still not a model.
    @Test func zeroHeadsWithHeadDimensionIsRefusedToo() {
        #expect(throws: ModelConfigurationError.self) {
            try JSONDecoder().decode(ModelConfiguration.self, from: config(heads: "0", headDim: "16"))
        }
    }

    /// Through the folder reader the error names config.json and the field.
    @Test func modelFolderNamesTheFileAndField() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-heads-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try config(heads: "0").write(to: folder.appendingPathComponent("config.json"))
        let error = #expect(throws: ModelConfigurationError.self) { try ModelFolder(folder) }
        let message = "\(try #require(error))"
        #expect(message.contains("config.json") && message.contains("num_attention_heads"), "\(message)")
    }
}
