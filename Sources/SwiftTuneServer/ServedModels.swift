import Foundation

/// The names a request's `model` may take: the base model's served name and each adapter's.
public struct ServedModels: Sendable, Equatable {
    /// An adapter: its name and folder.
    public struct Adapter: Sendable, Equatable {
        public var name: String
        public var path: String
        public init(name: String, path: String) {
            self.name = name
            self.path = path
        }
    }

    /// `--served-model-name` (default: the model folder's name).
    public var baseName: String
    /// The model folder (vLLM's `root` of the base).
    public var basePath: String
    public var adapters: [Adapter]

    public init(baseName: String, basePath: String, adapters: [Adapter] = []) {
        self.baseName = baseName
        self.basePath = basePath
        self.adapters = adapters
    }

    /// The adapter a request's `model` selects: `nil` for the base (also when `model` is absent).
    /// - Throws: ``APIError`` 404 `model_not_found`.
    public func adapter(for model: String?) throws(APIError) -> String? {
        guard let model, model != baseName else { return nil }
        guard adapters.contains(where: { $0.name == model }) else { throw APIError.modelNotFound(model) }
        return model
    }

    /// The `GET /v1/models` listing.
    func list(maxModelLength: Int, created: Int) -> ModelList {
        func permission() -> [ModelList.Permission] {
            [ModelList.Permission(id: "modelperm-" + RequestID.hex(), created: created)]
        }
        var cards = [ModelList.Card(id: baseName, created: created, root: basePath, parent: nil, maxModelLen: maxModelLength,
                                    permission: permission())]
        for a in adapters {
            cards.append(ModelList.Card(id: a.name, created: created, root: a.path, parent: baseName, maxModelLen: nil,
                                        permission: permission()))
        }
        return ModelList(data: cards)
    }
}

/// Random ids for responses (`chatcmpl-…`, `cmpl-…`).
enum RequestID {
    static func hex() -> String {
        var g = SystemRandomNumberGenerator()
        return String(format: "%016llx%016llx", g.next() as UInt64, g.next() as UInt64)
    }
}
