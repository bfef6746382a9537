import Foundation

/// A sharded checkpoint: `model.safetensors.index.json` plus the shard files it names.
///
/// The index (written by `transformers`' `save_pretrained`) is
/// `{"metadata": {"total_size": …}, "weight_map": {"<tensor>": "model-00001-of-00002.safetensors", …}}`.
/// Shards are opened lazily, each at most once, and shared by copies of the index.
///
/// ```swift
/// let index = try SafetensorsIndex(contentsOf: directory.appendingPathComponent("model.safetensors.index.json"))
/// let w: Tensor<Float> = try index.tensor("model.layers.0.mlp.up_proj.weight", as: Float.self)
/// ```
public struct SafetensorsIndex: Sendable {
    /// The index file.
    public let url: URL
    /// Shard file name (relative to the index's directory) for each tensor name.
    public let weightMap: [String: String]
    /// The `"metadata"` object with its values as text (numbers such as `total_size` in decimal).
    public let metadata: [String: String]
    private let shards: ShardCache

    /// Reads the index. Shard names must be plain file names in the index's directory.
    /// - Throws: ``SafetensorsError/cannotOpen(path:reason:)`` or ``SafetensorsError/invalidIndex(path:reason:)``.
    public init(contentsOf url: URL) throws {
        self.url = url
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SafetensorsError.cannotOpen(path: url.path, reason: FileErrorReason.describe(error, path: url.path))
        }
        let raw: RawIndex
        do { raw = try JSONDecoder().decode(RawIndex.self, from: data) } catch {
            throw SafetensorsError.invalidIndex(path: url.path, reason: "\(error)")
        }
        for (tensor, shard) in raw.weightMap {
            let isFileName = !shard.isEmpty && shard != "." && shard != ".."
                && !shard.contains("/") && !shard.contains("\\") && !shard.contains("\0")
            guard isFileName else {
                throw SafetensorsError.invalidIndex(
                    path: url.path, reason: "tensor '\(tensor)': shard '\(shard)' is not a file name")
            }
        }
        weightMap = raw.weightMap
        metadata = raw.metadata ?? [:]
        shards = ShardCache()
    }

    /// All tensor names, sorted.
    public var tensorNames: [String] { weightMap.keys.sorted() }

    /// The distinct shard file names, sorted.
    public var shardNames: [String] { Set(weightMap.values).sorted() }

    /// The opened shard that holds `name`.
    /// - Throws: ``SafetensorsError/tensorNotFound(path:tensor:)`` (naming the index) when the index does not list
    ///   `name`, ``SafetensorsError/missingShard(index:shard:tensor:underlying:)`` when its shard cannot be opened,
    ///   ``SafetensorsError/tensorNotInShard(index:shard:tensor:)`` when the shard lacks it.
    public func file(containing name: String) throws -> SafetensorsFile {
        guard let shard = weightMap[name] else { throw SafetensorsError.tensorNotFound(path: url.path, tensor: name) }
        let shardURL = url.deletingLastPathComponent().appendingPathComponent(shard)
        let file: SafetensorsFile
        do { file = try shards.file(at: shardURL) } catch {
            throw SafetensorsError.missingShard(index: url.path, shard: shard, tensor: name, underlying: "\(error)")
        }
        guard file.contains(name) else {
            throw SafetensorsError.tensorNotInShard(index: url.path, shard: shard, tensor: name)
        }
        return file
    }

    /// The stored dtype, shape and byte range of `name` (opens its shard).
    public func info(_ name: String) throws -> SafetensorsTensorInfo { try file(containing: name).info(name) }

    /// Lets the kernel reclaim the resident pages of every shard opened so far (see `MappedFile`).
    func releaseResidentPages() { shards.opened.forEach { $0.mapping.releaseResidentPages() } }

    /// The stored bytes of `name` (see ``SafetensorsFile/storedBytes(_:)``).
    public func storedBytes(_ name: String) throws -> [UInt8] { try file(containing: name).storedBytes(name) }

    /// The tensor `name` as `Scalar` elements (see ``SafetensorsFile/tensor(_:as:)`` for conversions).
    public func tensor<Scalar: TensorElement>(_ name: String, as type: Scalar.Type = Scalar.self) throws -> Tensor<Scalar> {
        try file(containing: name).tensor(name, as: type)
    }
}

/// Shards opened so far, by path. A failed open is not cached, so a later call reports the error again.
private final class ShardCache: @unchecked Sendable {
    // @unchecked: `files` is only touched under `lock`.
    private let lock = NSLock()
    private var files: [String: SafetensorsFile] = [:]

    func file(at url: URL) throws -> SafetensorsFile {
        lock.lock()
        defer { lock.unlock() }
        if let file = files[url.path] { return file }
        let file = try SafetensorsFile(contentsOf: url)
        files[url.path] = file
        return file
    }

    /// The shards opened so far.
    var opened: [SafetensorsFile] {
        lock.lock()
        defer { lock.unlock() }
        return Array(files.values)
    }
}

private struct RawIndex: Decodable {
    var metadata: [String: String]?
    var weightMap: [String: String]

    enum CodingKeys: String, CodingKey {
        case metadata
        case weightMap = "weight_map"
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        weightMap = try container.decode([String: String].self, forKey: .weightMap)
        guard container.contains(.metadata), try !container.decodeNil(forKey: .metadata) else { return }
        let object = try container.nestedContainer(keyedBy: SafetensorsJSONKey.self, forKey: .metadata)
        var metadata: [String: String] = [:]
        for key in object.allKeys {
            if let text = try? object.decode(String.self, forKey: key) { metadata[key.stringValue] = text }
            else if let integer = try? object.decode(Int.self, forKey: key) { metadata[key.stringValue] = String(integer) }
            else if let number = try? object.decode(Double.self, forKey: key) { metadata[key.stringValue] = String(number) }
            else if let flag = try? object.decode(Bool.self, forKey: key) { metadata[key.stringValue] = String(flag) }
        }
        self.metadata = metadata
    }
}
