/// `GET /v1/models`: the base model and each adapter, as vLLM lists them (an adapter's `root` is its folder and its
/// `parent` the base's served name; the base's `root` is its folder).
public struct ModelList: Codable, Sendable, Equatable {
    public struct Permission: Codable, Sendable, Equatable {
        public var id: String
        public var object = "model_permission"
        public var created: Int
        public var allowCreateEngine = false
        public var allowSampling = true
        public var allowLogprobs = true
        public var allowSearchIndices = false
        public var allowView = true
        public var allowFineTuning = false
        public var organization = "*"
        public var group: String?
        public var isBlocking = false
        enum CodingKeys: String, CodingKey {
            case id, object, created, organization, group
            case allowCreateEngine = "allow_create_engine", allowSampling = "allow_sampling", allowLogprobs = "allow_logprobs"
            case allowSearchIndices = "allow_search_indices", allowView = "allow_view", allowFineTuning = "allow_fine_tuning"
            case isBlocking = "is_blocking"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id); try c.encode(object, forKey: .object); try c.encode(created, forKey: .created)
            try c.encode(allowCreateEngine, forKey: .allowCreateEngine); try c.encode(allowSampling, forKey: .allowSampling)
            try c.encode(allowLogprobs, forKey: .allowLogprobs); try c.encode(allowSearchIndices, forKey: .allowSearchIndices)
            try c.encode(allowView, forKey: .allowView); try c.encode(allowFineTuning, forKey: .allowFineTuning)
            try c.encode(organization, forKey: .organization); try c.encode(group, forKey: .group)
            try c.encode(isBlocking, forKey: .isBlocking)
        }
    }
    public struct Card: Codable, Sendable, Equatable {
        public var id: String
        public var object = "model"
        public var created: Int
        public var ownedBy = "swifttune"
        public var root: String?
        public var parent: String?
        public var maxModelLen: Int?
        public var permission: [Permission]
        enum CodingKeys: String, CodingKey {
            case id, object, created, root, parent, permission
            case ownedBy = "owned_by", maxModelLen = "max_model_len"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id); try c.encode(object, forKey: .object); try c.encode(created, forKey: .created)
            try c.encode(ownedBy, forKey: .ownedBy); try c.encode(root, forKey: .root); try c.encode(parent, forKey: .parent)
            try c.encode(maxModelLen, forKey: .maxModelLen); try c.encode(permission, forKey: .permission)
        }
    }
    public var object = "list"
    public var data: [Card]
}
