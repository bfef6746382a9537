/// `soft_overlong`: DAPO's soft length penalty (ms-swift's `SoftOverlong`). With L the completion's token count,
/// L_max = `soft_max_length`, L_cache = `soft_cache_length`:
///
///     min(−(L − (L_max − L_cache)) / L_cache, 0)
///
/// 0 up to L_max − L_cache, then falling linearly to −1 at L_max (and below past it).
public struct SoftOverlongReward: RewardFunction {
    public var name: String { "soft_overlong" }
    /// L_max.
    public var maxLength: Int
    /// L_cache (< L_max).
    public var cacheLength: Int

    /// The soft overlong reward.
    /// - Throws: ``RewardError/invalidOption(name:value:requirement:)`` unless 0 < L_cache < L_max.
    public init(maxLength: Int, cacheLength: Int) throws {
        guard cacheLength > 0, cacheLength < maxLength else {
            throw RewardError.invalidOption(name: "soft_cache_length", value: "\(cacheLength)",
                                            requirement: "> 0 and < soft_max_length (\(maxLength))")
        }
        self.maxLength = maxLength
        self.cacheLength = cacheLength
    }

    public func scores(for inputs: [RewardInput]) throws -> [Double?] {
        inputs.map { input in
            let exceed = Double(input.completionIDs.count - (maxLength - cacheLength))
            return Swift.min(-exceed / Double(cacheLength), 0)
        }
    }
}
