// NF4 export in bitsandbytes' serialized layout against folders that transformers 5.23 + bitsandbytes 0.50.2 saved
// on CPU (Tools/generate_nf4_export_fixtures.py): a float32 Llama with GQA and a bfloat16 Qwen2 with biases and tied
// embeddings, both quantized with nf4 + double quantization.
//
// Every byte is compared. The only bytes allowed to differ are the 8-bit absmax codes that the generator lists in
// expected.json: there libbitsandbytes_cpu's lookup table picks a neighbouring code, while SwiftTune (like bitsandbytes'
// reference rule and CUDA) takes the exact nearest one. Those bytes must hold the reference code.
import Foundation
import SwiftTuneCore
import Testing
import TestSupport

/// A folder saved by transformers after quantizing `Fixtures/models/<name>` with bitsandbytes.
struct BitsAndBytesFolderFixture {
    struct Expected: Decodable {
        let format: String
        let version: Int
        /// `<m>.weight.absmax` → `[index, bnb_cpu_code, reference_code]` rows.
        let nested_code_differences: [String: [[Int]]]
        let rows: [[Int]]?
        let logits: [[Double]]?
    }

    static let names = ["llama-gqa", "qwen2-bias-tied-bf16"]

    let name: String
    let folder: URL
    let source: URL
    let expected: Expected

    init(_ name: String) throws {
        self.name = name
        folder = try #require(Bundle.module.url(forResource: "bnb-\(name)", withExtension: nil, subdirectory: "Fixtures/nf4"),
                              "missing Fixtures/nf4/bnb-\(name)")
        source = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/models"))
        expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
        try #require(expected.format == "swifttune-nf4-export-fixture" && expected.version == 1)
    }

    /// The source model, quantized by SwiftTune.
    func quantizedSource() throws -> CausalLanguageModel<Float> {
        let model = try CausalLanguageModel<Float>.load(from: source)
        model.quantizeNF4()
        return model
    }

    /// SwiftTune's export of the source into a fresh temporary folder.
    func export(to directory: URL) throws -> URL {
        let url = directory.appendingPathComponent("exported")
        try quantizedSource().saveQuantizedNF4(to: url, dtype: ModelFolder(source).storageDType)
        return url
    }
}

/// A fresh temporary directory; the caller removes it.
func temporaryDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("swifttune-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// config.json as a dictionary.
func jsonObject(_ url: URL) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], "\(url.path): not an object")
}

@Suite("NF4 export in bitsandbytes' layout")
struct NF4ExportTests {
    @Test(arguments: BitsAndBytesFolderFixture.names)
    func exportedTensorsEqualBitsAndBytesByteForByte(_ name: String) throws {
        let fixture = try BitsAndBytesFolderFixture(name)
        let directory = try temporaryDirectory("nf4-export")
        defer { try? FileManager.default.removeItem(at: directory) }
        let ours = try SafetensorsFile(contentsOf: fixture.export(to: directory).appendingPathComponent("model.safetensors"))
        let theirs = try SafetensorsFile(contentsOf: fixture.folder.appendingPathComponent("model.safetensors"))

        #expect(ours.tensorNames == theirs.tensorNames, "\(name): keys (in file order)")
        #expect(ours.metadata == theirs.metadata, "\(name): metadata")
        var listed = 0
        for key in theirs.tensorNames where ours.contains(key) {
            let (a, b) = (try ours.info(key), try theirs.info(key))
            #expect(a.dtype == b.dtype && a.shape == b.shape, "\(key): ours \(a.dtype) \(a.shape), bnb \(b.dtype) \(b.shape)")
            var expected = try theirs.storedBytes(key)
            for row in fixture.expected.nested_code_differences[key] ?? [] {
                // [index, bitsandbytes' CPU code, reference code]: the fixture holds the first, we must write the second.
                #expect(expected[row[0]] == UInt8(row[1]), "\(key)[\(row[0])]: fixture code")
                expected[row[0]] = UInt8(row[2])
                listed += 1
            }
            #expect(firstByteDifference(try ours.storedBytes(key), expected) == nil, "\(key): bytes")
        }
        let differences = fixture.expected.nested_code_differences.values.reduce(0) { $0 + $1.count }
        #expect(listed == differences, "\(name): every listed absmax difference is on a key of the file")
        // The whole file: same header, same layout; only the listed codes differ.
        let fileA = try Data(contentsOf: ours.url), fileB = try Data(contentsOf: theirs.url)
        #expect(fileA.count == fileB.count)
        #expect(zip(fileA, fileB).filter { $0 != $1 }.count == differences, "\(name): bytes differing in the whole file")
    }

    @Test(arguments: BitsAndBytesFolderFixture.names)
    func quantStatesMatchFieldByField(_ name: String) throws {
        let fixture = try BitsAndBytesFolderFixture(name)
        let directory = try temporaryDirectory("nf4-state")
        defer { try? FileManager.default.removeItem(at: directory) }
        let ours = try SafetensorsFile(contentsOf: fixture.export(to: directory).appendingPathComponent("model.safetensors"))
        let theirs = try SafetensorsFile(contentsOf: fixture.folder.appendingPathComponent("model.safetensors"))
        let keys = theirs.tensorNames.filter { $0.hasSuffix(".quant_state.bitsandbytes__nf4") }
        #expect(keys.count == 14, "\(name): 7 projections × 2 layers")
        let dtype = name.contains("bf16") ? "bfloat16" : "float32"
        for key in keys {
            let a = try #require(JSONSerialization.jsonObject(with: Data(ours.storedBytes(key))) as? [String: Any])
            let b = try #require(JSONSerialization.jsonObject(with: Data(theirs.storedBytes(key))) as? [String: Any])
            #expect(Set(a.keys) == Set(b.keys), "\(key): fields")
            for field in ["quant_type", "dtype", "nested_dtype"] {
                #expect(a[field] as? String == b[field] as? String, "\(key).\(field): ours \(a[field] ?? "nil"), bnb \(b[field] ?? "nil")")
            }
            for field in ["blocksize", "nested_blocksize"] {
                #expect(a[field] as? Int == b[field] as? Int, "\(key).\(field)")
            }
            #expect(a["shape"] as? [Int] == b["shape"] as? [Int], "\(key).shape")
            let offsets = (a["nested_offset"] as? Double, b["nested_offset"] as? Double)
            #expect(offsets.0 != nil && offsets.0?.bitPattern == offsets.1?.bitPattern,
                    "\(key).nested_offset: ours \(offsets.0 ?? .nan), bnb \(offsets.1 ?? .nan)")
            #expect(a["dtype"] as? String == dtype)
            // json.dumps' own bytes, separators and float repr included.
            #expect(try ours.storedBytes(key) == theirs.storedBytes(key), "\(key): JSON bytes")
        }
    }

    @Test(arguments: BitsAndBytesFolderFixture.names)
    func configMatchesTransformers(_ name: String) throws {
        let fixture = try BitsAndBytesFolderFixture(name)
        let directory = try temporaryDirectory("nf4-config")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = try fixture.export(to: directory).appendingPathComponent("config.json")
        let ours = try jsonObject(url)
        let theirs = try jsonObject(fixture.folder.appendingPathComponent("config.json"))
        let (qa, qb) = (ours["quantization_config"] as? NSDictionary, theirs["quantization_config"] as? NSDictionary)
        #expect(qa != nil && qa == qb, "quantization_config: ours \(qa.map { "\($0)" } ?? "nil"), transformers \(qb.map { "\($0)" } ?? "nil")")
        // transformers' BitsAndBytesConfig raises "llm_int8_threshold must be a float" for 6.
        #expect(try String(contentsOf: url, encoding: .utf8).contains("\"llm_int8_threshold\": 6.0"))
        for key in Set(ours.keys).intersection(theirs.keys) where key != "quantization_config" {
            #expect((ours[key] as? NSObject) == (theirs[key] as? NSObject), "\(name) config.json \(key)")
        }
        #expect(ours["dtype"] as? String == (name.contains("bf16") ? "bfloat16" : "float32"))
        let folder = try ModelFolder(url.deletingLastPathComponent())
        #expect(folder.quantization == .nf4(doubleQuantization: true))
    }

    @Test(arguments: BitsAndBytesFolderFixture.names)
    func preQuantizedFolderLoadsWithoutRequantizing(_ name: String) throws {
        let fixture = try BitsAndBytesFolderFixture(name)
        let directory = try temporaryDirectory("nf4-load")
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = try fixture.quantizedSource()
        let loaded = try CausalLanguageModel<Float>.load(from: fixture.export(to: directory))
        for (a, b) in zip(loaded.layers, reference.layers) {
            for projection in ProjectionName.allCases {
                let la = try #require(a.projection(projection) as? NF4Linear, "\(a.projection(projection).path) loads as NF4Linear")
                let lb = try #require(b.projection(projection) as? NF4Linear)
                let same = la.weight == lb.weight   // (not inside #expect, which would print both weights)
                #expect(same, "\(la.path): NF4 weight as quantized")
                #expect(la.path == lb.path && (la.bias == nil) == (lb.bias == nil))
            }
        }
        let row = [13, 59, 42, 17, 40, 16, 86, 68, 3, 90, 11]
        let (la, lb) = try withoutGradients { (try loaded(row, shape: [1, row.count]), try reference(row, shape: [1, row.count])) }
        #expect(firstBitDifference(la.scalars, lb.scalars) == nil, "\(name): logits of the loaded folder")
        #expect(loaded.hasNF4Projections)
    }

    @Test(arguments: BitsAndBytesFolderFixture.names)
    func folderSavedByTransformersLoads(_ name: String) throws {
        let fixture = try BitsAndBytesFolderFixture(name)
        let loaded = try CausalLanguageModel<Float>.load(from: fixture.folder)
        let reference = try fixture.quantizedSource()
        var differing = 0
        for (a, b) in zip(loaded.layers, reference.layers) {
            for projection in ProjectionName.allCases {
                let la = try #require(a.projection(projection) as? NF4Linear)
                let lb = try #require(b.projection(projection) as? NF4Linear)
                #expect(firstByteDifference(la.weight.packed, lb.weight.packed) == nil, "\(la.path): packed codes")
                guard case let .doubleQuantized(qa) = la.weight.scales, case let .doubleQuantized(qb) = lb.weight.scales else {
                    Issue.record("\(la.path): double-quantized absmax expected"); continue
                }
                #expect(qa.absmax == qb.absmax && qa.offset.bitPattern == qb.offset.bitPattern, "\(la.path): absmax2, offset")
                let listed = fixture.expected.nested_code_differences[la.path + ".weight.absmax"] ?? []
                let differs = zip(qa.codes, qb.codes).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
                #expect(differs == listed.map { $0[0] }, "\(la.path): codes differ only where listed")
                differing += differs.count
            }
        }
        #expect(differing == fixture.expected.nested_code_differences.values.reduce(0) { $0 + $1.count })
        // transformers' float32 logits of its own quantized model (float32 fixture only: for bfloat16 it computes in
        // bfloat16).
        if let rows = fixture.expected.rows, let logits = fixture.expected.logits {
            for (row, expected) in zip(rows, logits) {
                let observed = try withoutGradients { try loaded(row, shape: [1, row.count]) }
                let r = allClose(observed.doubles, expected, rtol: 1e-4, atol: 1e-4)
                #expect(r.ok, "\(name): logits vs transformers + bitsandbytes: \(r.report)")
            }
        }
    }
}
