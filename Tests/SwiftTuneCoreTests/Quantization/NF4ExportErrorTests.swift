// What the NF4 export and the pre-quantized loader refuse, and how they say it; plus the formatting details that
// bitsandbytes' and transformers' readers depend on.
import Foundation
import SwiftTuneCore
import Testing
import TestSupport

@Suite("NF4 export: errors and formats")
struct NF4ExportErrorTests {
    let fixture: BitsAndBytesFolderFixture

    init() throws { fixture = try BitsAndBytesFolderFixture("llama-gqa") }

    /// `error` is a ``BitsAndBytesError`` whose message contains every string in `parts`.
    func expectMessage(_ error: any Error, _ parts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let text = "\(error)"
        #expect(error is BitsAndBytesError, "\(type(of: error)): \(text)", sourceLocation: sourceLocation)
        for part in parts { #expect(text.contains(part), "'\(text)' should mention '\(part)'", sourceLocation: sourceLocation) }
    }

    @Test func unquantizedProjectionsAreRefusedAndNothingIsWritten() throws {
        let directory = try temporaryDirectory("nf4-refuse")
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out")
        let dense = try CausalLanguageModel<Float>.load(from: fixture.source)
        let error = #expect(throws: BitsAndBytesError.self) { try dense.saveQuantizedNF4(to: output) }
        #expect(error == .projectionNotQuantized(path: "model.layers.0.self_attn.q_proj", layer: "a dense Linear"))
        if let error { expectMessage(error, ["model.layers.0.self_attn.q_proj", "quantizeNF4()"]) }

        let adapted = try fixture.quantizedSource()
        try adapted.applyLoRA(LoRAConfiguration(rank: 2, targetModules: .names(["v_proj"])), seed: 1)
        let lora = #expect(throws: BitsAndBytesError.self) { try adapted.saveQuantizedNF4(to: output) }
        if let lora { expectMessage(lora, ["model.layers.0.self_attn.v_proj", "LoRA adapter", "merge"]) }

        let mixed = try CausalLanguageModel<Float>.load(from: fixture.source)
        mixed.quantizeNF4(doubleQuantization: false)
        mixed.layers[1].replaceProjection(.up, with: NF4Linear(
            quantizing: try CausalLanguageModel<Float>.load(from: fixture.source).layers[1].projection(.up) as! Linear<Float>))
        #expect(throws: BitsAndBytesError.mixedDoubleQuantization(path: "model.layers.1.mlp.up_proj")) {
            try mixed.saveQuantizedNF4(to: output)
        }
        #expect(throws: BitsAndBytesError.unsupportedStorageDType(path: output.path, dtype: "I32")) {
            try adapted.saveQuantizedNF4(to: output, dtype: .int32)
        }
        #expect(!FileManager.default.fileExists(atPath: output.path), "a refused export leaves no output")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty, "nor a partial folder")
    }

    @Test func singleQuantizedAbsmaxRoundTrip() throws {
        let directory = try temporaryDirectory("nf4-single")
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try CausalLanguageModel<Float>.load(from: fixture.source)
        model.quantizeNF4(doubleQuantization: false)
        let url = directory.appendingPathComponent("out")
        try model.saveQuantizedNF4(to: url)
        let file = try SafetensorsFile(contentsOf: url.appendingPathComponent("model.safetensors"))
        let key = "model.layers.0.mlp.down_proj.weight"
        #expect(try file.info(key).shape == [80 * 48 / 2, 1] && file.info(key).dtype == .uint8)
        #expect(try file.info(key + ".absmax").dtype == .float32 && file.info(key + ".absmax").shape == [80 * 48 / 64])
        #expect(!file.contains(key + ".nested_absmax") && !file.contains(key + ".nested_quant_map"))
        #expect(String(decoding: try file.storedBytes(key + ".quant_state.bitsandbytes__nf4"), as: UTF8.self)
                == #"{"quant_type": "nf4", "blocksize": 64, "dtype": "float32", "shape": [48, 80]}"#)
        let folder = try ModelFolder(url)
        #expect(folder.quantization?.useDoubleQuantization == false)
        let loaded = try folder.load(Float.self)
        let row = [5, 7, 11, 13, 17]
        let (a, b) = try withoutGradients { (try loaded(row, shape: [1, 5]), try model(row, shape: [1, 5])) }
        #expect(firstBitDifference(a.scalars, b.scalars) == nil, "logits after a round trip")
    }

    /// A copy of the fixture folder, with config.json and tensors changed.
    func alteredFolder(_ directory: URL, config: ((inout [String: Any]) -> Void)? = nil,
                       tensors: ((inout [SafetensorsWriter.Entry], SafetensorsFile) throws -> Void)? = nil) throws -> URL {
        let url = directory.appendingPathComponent("altered")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        var json = try jsonObject(fixture.folder.appendingPathComponent("config.json"))
        config?(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url.appendingPathComponent("config.json"))
        let file = try SafetensorsFile(contentsOf: fixture.folder.appendingPathComponent("model.safetensors"))
        var entries = try file.tensorNames.map { key -> SafetensorsWriter.Entry in
            let info = try file.info(key)
            return info.dtype == .uint8 ? .init(name: key, bytes: try file.storedBytes(key), shape: info.shape)
                : .init(name: key, tensor: try file.tensor(key, as: Float.self), dtype: info.dtype)
        }
        try tensors?(&entries, file)
        try SafetensorsWriter.write(entries, metadata: ["format": "pt"], to: url.appendingPathComponent("model.safetensors"))
        return url
    }

    @Test func unsupportedQuantizationConfigsAreNamed() throws {
        let directory = try temporaryDirectory("nf4-config-errors")
        defer { try? FileManager.default.removeItem(at: directory) }
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("fp4", { c in var q = c["quantization_config"] as! [String: Any]; q["bnb_4bit_quant_type"] = "fp4"; c["quantization_config"] = q }),
            ("load_in_8bit", { c in c["quantization_config"] = ["quant_method": "bitsandbytes", "load_in_8bit": true] }),
            ("gptq", { c in c["quantization_config"] = ["quant_method": "gptq", "bits": 4] }),
            ("bfloat16", { c in var q = c["quantization_config"] as! [String: Any]; q["bnb_4bit_quant_storage"] = "bfloat16"; c["quantization_config"] = q }),
        ]
        for (word, change) in cases {
            let url = try alteredFolder(directory, config: change)
            let error = #expect(throws: BitsAndBytesError.self, "\(word)") { try ModelFolder(url) }
            if let error { expectMessage(error, [url.appendingPathComponent("config.json").path, word]) }
        }
    }

    @Test func malformedQuantizedTensorsAreNamed() throws {
        let directory = try temporaryDirectory("nf4-tensor-errors")
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = "model.layers.1.self_attn.k_proj.weight"
        func state(_ json: String) -> (inout [SafetensorsWriter.Entry], SafetensorsFile) throws -> Void {
            { entries, _ in
                entries.removeAll { $0.name == key + ".quant_state.bitsandbytes__nf4" }
                entries.append(.init(name: key + ".quant_state.bitsandbytes__nf4", bytes: Array(json.utf8), shape: [json.utf8.count]))
            }
        }
        let cases: [(String, (inout [SafetensorsWriter.Entry], SafetensorsFile) throws -> Void, [String])] = [
            ("missing absmax", { entries, _ in entries.removeAll { $0.name == key + ".absmax" } }, [key + ".absmax", "missing"]),
            ("wrong shape", state(#"{"quant_type": "nf4", "blocksize": 64, "dtype": "float32", "shape": [16, 47], "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 0.5}"#),
             [key + ".quant_state.bitsandbytes__nf4", "[16, 47]", "[16, 48]"]),
            ("not JSON", state("{quant"), [key + ".quant_state.bitsandbytes__nf4", "not a bitsandbytes quant state"]),
            ("blocksize", state(#"{"quant_type": "nf4", "blocksize": 128, "dtype": "float32", "shape": [16, 48], "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 0.5}"#),
             ["blocksize 128"]),
            ("short packed", { entries, file in
                entries.removeAll { $0.name == key }
                entries.append(.init(name: key, bytes: [UInt8](try file.storedBytes(key).dropLast()), shape: [383, 1]))
            }, [key, "383 elements", "expected 384"]),
            ("custom quant map", { entries, _ in
                entries.removeAll { $0.name == key + ".quant_map" }
                entries.append(.init(name: key + ".quant_map", tensor: Tensor<Float>((0..<16).map { Float($0) / 15 })))
            }, [key + ".quant_map", "codebook"]),
        ]
        for (what, change, parts) in cases {
            let url = try alteredFolder(directory, tensors: change)
            let error = #expect(throws: BitsAndBytesError.self, "\(what)") { try CausalLanguageModel<Float>.load(from: url) }
            if let error { expectMessage(error, [url.appendingPathComponent("model.safetensors").path] + parts) }
        }
        let error = #expect(throws: BitsAndBytesError.self) { try CausalLanguageModel<Double>.load(from: fixture.folder) }
        if let error { expectMessage(error, ["model.layers.0.self_attn.q_proj.weight", "Float", "Double"]) }
    }

    @Test func dequantizingGivesTheDenseWeightsBack() throws {
        let model = try CausalLanguageModel<Float>.load(from: fixture.folder)
        let reference = try CausalLanguageModel<Float>.load(from: fixture.folder)
        #expect(model.dequantizeNF4().count == 14)
        #expect(!model.hasNF4Projections)
        for (a, b) in zip(model.layers, reference.layers) {
            for name in ProjectionName.allCases {
                let dense = try #require(a.projection(name) as? Linear<Float>)
                #expect(!dense.weight.isTrainable)
                #expect(dense.weight.value.scalars == (b.projection(name) as! NF4Linear).weight.dequantize().scalars)
            }
        }
        let row = [3, 1, 4, 1, 5, 9, 2, 6]
        let (a, b) = try withoutGradients { (try model(row, shape: [1, 8]), try reference(row, shape: [1, 8])) }
        let r = allClose(a.doubles, b.doubles, rtol: 1e-5, atol: 1e-5)
        #expect(r.ok, "dense vs NF4 logits: \(r.report)")
    }

    @Test func floatsAreWrittenAsPythonWritesThem() {
        // Expected strings from Python 3.11's json.dumps.
        let cases: [(Double, String)] = [
            (0.8124094009399414, "0.8124094009399414"), (1e-05, "1e-05"), (1.5e-05, "1.5e-05"), (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"), (0.0001, "0.0001"), (0.00012345, "0.00012345"), (123.0, "123.0"),
            (-0.0, "-0.0"), (Double.leastNonzeroMagnitude, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"), (0.1, "0.1"),
            (100.0, "100.0"), (1e22, "1e+22"), (6.0, "6.0"), (2.5e-7, "2.5e-07"), (9999999999999998.0, "9999999999999998.0"),
            (.nan, "NaN"), (-.infinity, "-Infinity"), (0.7353515625, "0.7353515625"), (1e-06, "1e-06"),
            (12345678.9, "12345678.9"),
        ]
        for (value, python) in cases {
            let state = BitsAndBytesQuantState(blocksize: 64, dtype: "float32", shape: [2], nestedBlocksize: 256,
                                               nestedDType: "float32", nestedOffset: value)
            let text = String(decoding: state.pythonJSON, as: UTF8.self)
            #expect(text.hasSuffix("\"nested_offset\": \(python)}"), "\(value): \(text)")
        }
    }
}
