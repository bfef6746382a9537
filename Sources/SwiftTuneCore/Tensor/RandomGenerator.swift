/// A seedable, counter-based random number generator that gives the same numbers on every run, machine and
/// thread count.
///
/// Value `i` of the stream is `SplitMix64(seed · 0x9E3779B97F4A7C15 + i)` (Steele, Lea & Flood 2014); the
/// generator only remembers how many values it has handed out, so bulk fills run in parallel in CKernels and
/// a dropout mask can be regenerated from `(seed, offset)` instead of being stored.
public struct RandomGenerator: RandomNumberGenerator, Codable, Sendable, Hashable {
    /// The stream's seed.
    public let seed: UInt64
    /// The index of the next value of the stream.
    public var offset: UInt64

    /// A generator at the start of the stream for `seed`.
    public init(seed: UInt64, offset: UInt64 = 0) {
        self.seed = seed
        self.offset = offset
    }

    /// The 64 random bits at counter `index` of stream `seed` (matches `st_random_bits`).
    @inlinable
    public static func bits(seed: UInt64, index: UInt64) -> UInt64 {
        var z = seed &* 0x9E37_79B9_7F4A_7C15 &+ index
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        defer { offset &+= 1 }
        return Self.bits(seed: seed, index: offset)
    }

    /// Reserves `count` consecutive counters and returns the first.
    public mutating func reserve(_ count: Int) -> UInt64 {
        defer { offset &+= UInt64(count) }
        return offset
    }

    /// A uniform value in [0, 1) from the top 24 bits of counter `index` (matches CKernels).
    @inlinable
    static func unit24(seed: UInt64, index: UInt64) -> Double {
        Double(bits(seed: seed, index: index) >> 40) * 0x1p-24
    }
}
