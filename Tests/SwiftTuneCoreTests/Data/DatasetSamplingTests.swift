import Foundation
import SwiftTuneCore
import Testing

/// ms-swift's `file#N` sampling and NumPy's `RandomState.permutation`, held to
/// Fixtures/datasets/sampling.json (Tools/generate_sampling_fixtures.py).
@Suite("DatasetSampling")
struct DatasetSamplingTests {
    struct FixtureFile: Decodable {
        struct Permutations: Decodable { let seed: UInt32; let sizes: [Int]; let results: [[Int]] }
        struct File: Decodable { let rows: Int; let sample: Int? }
        struct Samples: Decodable { let seed: UInt32; let shuffle: Bool; let files: [File]; let results: [[Int]] }
        let format: String
        let permutations: [Permutations]
        let samples: [Samples]
    }

    static func fixture() throws -> FixtureFile {
        let url = try #require(Bundle.module.url(forResource: "sampling", withExtension: "json", subdirectory: "Fixtures/datasets"))
        return try JSONDecoder().decode(FixtureFile.self, from: Data(contentsOf: url))
    }

    @Test func permutationEqualsNumPy() throws {
        for p in try Self.fixture().permutations {
            var rng = NumPyRandomState(seed: p.seed)
            for (n, expected) in zip(p.sizes, p.results) {
                let observed = rng.permutation(n)
                #expect(observed == expected, "seed \(p.seed) n \(n): expected \(expected), observed \(observed)")
            }
        }
    }

    @Test func sampleEqualsMSSwift() throws {
        for s in try Self.fixture().samples {
            var rng = NumPyRandomState(seed: s.seed)
            for (file, expected) in zip(s.files, s.results) {
                let source = DatasetSource(path: "f.jsonl", sample: file.sample)
                let observed = source.rowIndices(count: file.rows, shuffle: s.shuffle, randomState: &rng)
                #expect(observed == expected, "seed \(s.seed) rows \(file.rows) #\(file.sample as Any): expected \(expected), observed \(observed)")
            }
        }
    }

    @Test func parsesHashSyntax() throws {
        #expect(try DatasetSource(parsing: "a.jsonl#12", fileExists: { _ in false }) == DatasetSource(path: "a.jsonl", sample: 12))
        #expect(try DatasetSource(parsing: "a.jsonl", fileExists: { _ in false }) == DatasetSource(path: "a.jsonl"))
        // A file whose name holds '#' is a file, as ms-swift checks os.path.exists first.
        #expect(try DatasetSource(parsing: "b#2.jsonl", fileExists: { $0 == "b#2.jsonl" }) == DatasetSource(path: "b#2.jsonl"))
        #expect(throws: DatasetSourceError.badSampleSize("a.jsonl#x")) { try DatasetSource(parsing: "a.jsonl#x", fileExists: { _ in false }) }
        #expect(throws: DatasetSourceError.badSampleSize("a.jsonl#0")) { try DatasetSource(parsing: "a.jsonl#0", fileExists: { _ in false }) }
        #expect(throws: DatasetSourceError.sampleTooLarge("a.jsonl#1000000000000", limit: DatasetSource.maxSample)) {
            try DatasetSource(parsing: "a.jsonl#1000000000000", fileExists: { _ in false })
        }
    }
}
