import Foundation
@testable import SwiftTuneCore
import Testing

/// Reading files written by Python's `safetensors.torch.save_file` (see Tools/generate_safetensors_fixtures.py).
@Suite("Safetensors reader on files from the Python library")
struct SafetensorsReaderTests {
    @Test(arguments: ["f32", "f16", "bf16", "mixed", "model-00001-of-00002", "model-00002-of-00002"])
    func valuesShapesAndMetadataMatchPython(_ name: String) throws {
        let expected = try #require(try SafetensorsExpectations.load().files["\(name).safetensors"])
        let file = try SafetensorsFile(contentsOf: try safetensorsFixture(name))
        #expect(Set(file.tensorNames) == Set(expected.tensors.keys))
        #expect(file.metadata == (expected.metadata ?? [:]))
        for (tensorName, entry) in expected.tensors {
            let info = try file.info(tensorName)
            #expect(info.dtype.rawValue == entry.dtype, "\(tensorName)")
            #expect(info.shape == entry.shape, "\(tensorName)")
            if entry.dtype == "I64" {
                let ints = try file.tensor(tensorName, as: Int64.self)
                #expect(ints.shape == entry.shape)
                #expect(ints.scalars.map(Double.init) == entry.doubles, "\(tensorName)")
                continue
            }
            let asDouble = try file.tensor(tensorName, as: Double.self)
            #expect(asDouble.shape == entry.shape, "\(tensorName)")
            let exact = sameValues(asDouble.scalars, entry.doubles)
            #expect(exact.ok, "\(name) \(tensorName) as Double: \(exact.report)")
            if entry.dtype != "F64" {  // F16, BF16, F32 widen to Float exactly
                let asFloat = try file.tensor(tensorName, as: Float.self)
                let check = sameValues(asFloat.scalars.map(Double.init), entry.doubles)
                #expect(check.ok, "\(name) \(tensorName) as Float: \(check.report)")
            }
        }
    }

    @Test func tensorNamesFollowTheDataOrder() throws {
        let file = try SafetensorsFile(contentsOf: try safetensorsFixture("mixed"))
        // The official writer's order: I64, F64, F32, BF16, F16 (its Dtype enum, descending), then UTF-8 bytes.
        #expect(file.tensorNames == ["positions", "été", "b.weight", "scale", "B.weight", "z", "a.10.bias", "a.9.bias"])
        let offsets = try file.tensorNames.map { try file.info($0).dataOffsets }
        #expect(zip(offsets, offsets.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
    }

    @Test func sameDtypeReadsShareTheMappingAndOutliveTheFile() throws {
        let url = try safetensorsFixture("bf16")
        let expected = try #require(try SafetensorsExpectations.load().files["bf16.safetensors"]?.tensors["matrix"])
        var tensor: Tensor<BFloat16>
        do {
            let file = try SafetensorsFile(contentsOf: url)
            tensor = try file.tensor("matrix", as: BFloat16.self)
            let mapped = UnsafeRawPointer(file.mapping.base)..<(UnsafeRawPointer(file.mapping.base) + file.mapping.size)
            #expect(mapped.contains(UnsafeRawPointer(tensor.storage.pointer)), "BF16 → BFloat16 should not copy")
            let converted = try file.tensor("matrix", as: Float.self)
            #expect(!mapped.contains(UnsafeRawPointer(converted.storage.pointer)))
        }
        // The file value is gone; the tensor still holds the mapping.
        #expect(sameValues(tensor.scalars.map { Double($0.floatValue) }, expected.doubles).ok)
        // Writing a uniquely referenced zero-copy tensor lands in private pages, never in the file.
        tensor.withUnsafeMutableScalars { $0[0] = BFloat16(42) }
        #expect(tensor.scalars[0].floatValue == 42)
        let reread = try SafetensorsFile(contentsOf: url).tensor("matrix", as: Float.self)
        #expect(Double(reread.scalars[0]) == expected.doubles[0])
    }

    #if !(os(macOS) && arch(x86_64))
    @Test func halfReadsAsFloat16AndNarrowsWithRounding() throws {
        let file = try SafetensorsFile(contentsOf: try safetensorsFixture("f16"))
        let expected = try #require(try SafetensorsExpectations.load().files["f16.safetensors"]?.tensors["specials"])
        let halves = try file.tensor("specials", as: Float16.self)
        #expect(sameValues(halves.scalars.map { Double($0) }, expected.doubles).ok)
        let f32 = try SafetensorsFile(contentsOf: try safetensorsFixture("f32"))
        let narrowed = try f32.tensor("matrix", as: Float16.self)
        let reference = try f32.tensor("matrix", as: Float.self).scalars.map { Float16($0) }
        #expect(narrowed.scalars.map(\.bitPattern) == reference.map(\.bitPattern))
    }
    #endif

    @Test func integersWidenAndUnsupportedPairsThrow() throws {
        let url = try safetensorsFixture("mixed")
        let file = try SafetensorsFile(contentsOf: url)
        #expect(try file.tensor("positions", as: Int64.self).scalars == [-2, -1, 0, 1, 2])
        #expect(throws: SafetensorsError.unsupportedConversion(path: url.path, tensor: "positions", from: "I64", to: "I32")) {
            try file.tensor("positions", as: Int32.self)
        }
        #expect(throws: SafetensorsError.unsupportedConversion(path: url.path, tensor: "b.weight", from: "F32", to: "I64")) {
            try file.tensor("b.weight", as: Int64.self)
        }
        #expect(throws: SafetensorsError.unsupportedConversion(path: url.path, tensor: "positions", from: "I64", to: "F32")) {
            try file.tensor("positions", as: Float.self)
        }
        #expect(throws: SafetensorsError.tensorNotFound(path: url.path, tensor: "nope")) {
            try file.tensor("nope", as: Float.self)
        }
    }

    @Test func shardedIndexOpensEachShardOnDemand() throws {
        let indexURL = try safetensorsFixture("model.safetensors.index", extension: "json")
        let index = try SafetensorsIndex(contentsOf: indexURL)
        let expectations = try SafetensorsExpectations.load()
        #expect(index.shardNames == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        #expect(index.metadata["total_size"] == "80")  // 2 · (4·2 F32 = 32) + 2 · (2·2 BF16 = 8) bytes
        #expect(index.tensorNames.count == 4)
        for name in index.tensorNames {
            let shard = try #require(index.weightMap[name])
            let entry = try #require(expectations.files[shard]?.tensors[name])
            let tensor = try index.tensor(name, as: Double.self)
            #expect(tensor.shape == entry.shape)
            #expect(sameValues(tensor.scalars, entry.doubles).ok, "\(name)")
            #expect(try index.file(containing: name).url.lastPathComponent == shard)
        }
        #expect(throws: SafetensorsError.tensorNotFound(path: indexURL.path, tensor: "missing.weight")) {
            try index.tensor("missing.weight", as: Float.self)
        }
    }

    @Test func indexErrorsNameTheIndexAndTheShard() throws {
        try withSafetensorsScratchDirectory { directory in
            let shard = try safetensorsFixture("model-00001-of-00002")
            try FileManager.default.copyItem(at: shard, to: directory.appendingPathComponent(shard.lastPathComponent))
            let indexURL = directory.appendingPathComponent("model.safetensors.index.json")
            try Data("""
            {"metadata": {"total_size": 48, "note": "x"}, "weight_map": {
              "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
              "lm_head.weight": "model-00001-of-00002.safetensors",
              "model.layers.1.weight": "model-00002-of-00002.safetensors"}}
            """.utf8).write(to: indexURL)
            let index = try SafetensorsIndex(contentsOf: indexURL)
            #expect(index.metadata == ["total_size": "48", "note": "x"])
            #expect(try index.tensor("model.embed_tokens.weight", as: Float.self).shape == [4, 2])
            #expect(throws: SafetensorsError.tensorNotInShard(index: indexURL.path, shard: "model-00001-of-00002.safetensors",
                                                              tensor: "lm_head.weight")) {
                try index.tensor("lm_head.weight", as: Float.self)
            }
            do {
                _ = try index.tensor("model.layers.1.weight", as: Float.self)
                Issue.record("expected a missing-shard error")
            } catch let SafetensorsError.missingShard(indexPath, shardName, tensor, underlying) {
                #expect(indexPath == indexURL.path)
                #expect(shardName == "model-00002-of-00002.safetensors")
                #expect(tensor == "model.layers.1.weight")
                #expect(underlying.contains("model-00002-of-00002.safetensors"), "\(underlying)")
            }

            try Data(#"{"weight_map": {"w": "../outside.safetensors"}}"#.utf8).write(to: indexURL)
            #expect(throws: SafetensorsError.self) { try SafetensorsIndex(contentsOf: indexURL) }
            do { _ = try SafetensorsIndex(contentsOf: indexURL) } catch {
                #expect((error as? SafetensorsError)?.path == indexURL.path)
            }
            try Data(#"{"metadata": {}}"#.utf8).write(to: indexURL)
            do {
                _ = try SafetensorsIndex(contentsOf: indexURL)
                Issue.record("expected an error for an index without weight_map")
            } catch let SafetensorsError.invalidIndex(path, reason) {
                #expect(path == indexURL.path)
                #expect(reason.contains("weight_map"), "\(reason)")
            }
        }
    }
}
