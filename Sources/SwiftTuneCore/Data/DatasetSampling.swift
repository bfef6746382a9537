import Foundation

/// ms-swift's dataset syntax for a local file, `path#N`, and its row sampling (`swift/dataset/utils.py`,
/// `sample_dataset`; `swift/dataset/dataset_syntax.py`, `DatasetSyntax.parse`).
///
/// For a file of n rows and a sample of N (`file.jsonl#N`), ms-swift takes every row ⌊N / n⌋ times in file order,
/// then N mod n more rows: the first N mod n entries of `RandomState.permutation(n)` when shuffling
/// (`dataset_shuffle`, the default for `--dataset`), or the first N mod n rows without (`--val_dataset` is not
/// shuffled: `val_dataset_shuffle` defaults to false). One ``NumPyRandomState`` seeded with the run's seed serves
/// every file of a list in order, as ms-swift's `load_dataset` shares one `np.random.RandomState(seed)`.
public struct DatasetSource: Sendable, Equatable, CustomStringConvertible {
    /// The JSONL file.
    public var path: String
    /// `#N`: rows to draw (`nil`: every row once).
    public var sample: Int?

    public init(path: String, sample: Int? = nil) {
        self.path = path
        self.sample = sample
    }

    /// Parses `path` or `path#N` as ms-swift does: a string naming an existing file is a path even if it holds `#`;
    /// otherwise the text after the last `#` is the sample size.
    /// - Throws: ``DatasetSourceError/badSampleSize(_:)`` when the part after `#` is not a positive integer,
    ///   ``DatasetSourceError/sampleTooLarge(_:limit:)`` when it is above ``maxSample``.
    public init(parsing text: String, fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) throws {
        guard !fileExists(text), let hash = text.lastIndex(of: "#") else {
            self.init(path: text)
            return
        }
        let count = text[text.index(after: hash)...]
        guard let n = Int(count), n > 0 else { throw DatasetSourceError.badSampleSize(text) }
        guard n <= DatasetSource.maxSample else { throw DatasetSourceError.sampleTooLarge(text, limit: DatasetSource.maxSample) }
        self.init(path: String(text[..<hash]), sample: n)
    }

    /// The largest `#N` accepted: 2²⁶ rows (their indices alone take 512 MiB).
    public static let maxSample = 1 << 26

    public var description: String { sample.map { "\(path)#\($0)" } ?? path }

    /// The rows to use, by index into the file's `count` rows (repeats allowed), as ms-swift's `sample_dataset`.
    /// - Parameters:
    ///   - count: the file's rows.
    ///   - shuffle: draw the remainder at random (`dataset_shuffle`), or take the first rows.
    ///   - randomState: the list's shared state, advanced by one permutation when the remainder is drawn.
    public func rowIndices(count: Int, shuffle: Bool, randomState: inout NumPyRandomState) -> [Int] {
        guard let n = sample, count > 0 else { return Array(0..<count) }
        var indices: [Int] = []
        indices.reserveCapacity(n)
        for _ in 0..<(n / count) { indices += 0..<count }
        let remainder = n % count
        if remainder > 0 {
            indices += shuffle ? Array(randomState.permutation(count).prefix(remainder)) : Array(0..<remainder)
        }
        return indices
    }
}

/// A `--dataset` / `--val_dataset` value that cannot be used.
public enum DatasetSourceError: Error, CustomStringConvertible, Equatable {
    /// `file#N` where N is not a positive integer.
    case badSampleSize(String)
    /// `file#N` with N above ``DatasetSource/maxSample``.
    case sampleTooLarge(String, limit: Int)
    /// A validation file asked for more rows than it has (ms-swift: "Avoid duplication in the val_dataset").
    case validationSampleTooLarge(String, rows: Int)

    public var description: String {
        switch self {
        case let .badSampleSize(text): return "\(text): the sample size after '#' must be a positive integer"
        case let .sampleTooLarge(text, limit): return "\(text): the sample size after '#' must be at most \(limit)"
        case let .validationSampleTooLarge(text, rows):
            return "\(text): a validation set cannot be sampled beyond its \(rows) rows (ms-swift refuses duplicates in val_dataset)"
        }
    }
}
