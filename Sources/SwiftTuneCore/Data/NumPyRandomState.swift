/// NumPy's legacy `np.random.RandomState(seed)` (MT19937), as far as ms-swift's dataset sampling uses it:
/// `permutation(n)`. Reproducing it bit for bit makes `--dataset file.jsonl#N` choose the same rows as
/// `swift sft --dataset file.jsonl#N` with the same seed.
///
/// Seeding is MT19937's `init_genrand` (NumPy's `mt19937_seed` for an integer seed in [0, 2³²)); `permutation(n)`
/// is `arange(n)` shuffled by NumPy's legacy Fisher–Yates, which walks i = n−1 … 1 and draws j ∈ [0, i] by masked
/// rejection (`random_interval`: 32-bit draws masked to the next power of two minus one, redrawn while > i).
///
/// ```swift
/// var rng = NumPyRandomState(seed: 42)
/// rng.permutation(5)   // [1, 4, 2, 0, 3], as np.random.RandomState(42).permutation(5)
/// ```
public struct NumPyRandomState: Sendable {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    /// `np.random.RandomState(seed)` for `seed` in [0, 2³²).
    public init(seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    /// The next 32-bit output of MT19937 (`genrand_int32`).
    public mutating func nextUInt32() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7fff_ffff)
            state[i] = state[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1) != 0 ? 0x9908_b0df : 0)
        }
        index = 0
    }

    /// NumPy's `random_interval(max)`: uniform in [0, max] for max < 2³².
    mutating func interval(_ max: UInt32) -> UInt32 {
        if max == 0 { return 0 }
        var mask = max
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4; mask |= mask >> 8; mask |= mask >> 16
        while true {
            let value = nextUInt32() & mask
            if value <= max { return value }
        }
    }

    /// `RandomState.permutation(n)`: a shuffled `0..<n`.
    public mutating func permutation(_ n: Int) -> [Int] {
        var a = Array(0..<n)
        var i = n - 1
        while i > 0 {
            let j = Int(interval(UInt32(i)))
            a.swapAt(i, j)
            i -= 1
        }
        return a
    }
}
