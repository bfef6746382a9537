import Foundation
import SwiftTuneCore
import Testing

/// Small fixtures for the bad-input tests, written into fresh temporary folders.
enum BadInput {
    /// A tiny Llama configuration: V 32, C 16, I 24, 2 layers, 4 heads over 2 KV heads, 16 positions.
    static func configuration(layers: Int = 2, tied: Bool = true) -> ModelConfiguration {
        ModelConfiguration(vocabularySize: 32, hiddenSize: 16, intermediateSize: 24, layerCount: layers,
                           attentionHeads: 4, keyValueHeads: 2, maxPositions: 16, tieWordEmbeddings: tied)
    }

    /// `configuration()` as the JSON object of a `config.json`, to mutate.
    static func configObject(_ c: ModelConfiguration = configuration()) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(c)) as? [String: Any])
    }

    /// A fresh temporary folder; remove it with `defer`.
    static func folder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swifttune-bad-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func writeJSON(_ object: Any, to url: URL) throws {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: url)
    }

    /// The error `body` throws, failing the test when it returns.
    static func error(_ what: String, sourceLocation: SourceLocation = #_sourceLocation,
                      _ body: () throws -> Void) -> Error? {
        do {
            try body()
            Issue.record("\(what) must be refused", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }
}
