/// IEEE-754 binary16 ↔ `Float` on raw bit patterns, so safetensors F16 data can be read and written on every
/// platform (Swift's `Float16` is unavailable on macOS x86_64).
///
/// Where `Float16` exists the conversions use it (hardware `vcvtph2ps` / `fcvt`); the software versions are the
/// reference, held to `Float16` by the tests, and the fallback on macOS x86_64.
enum HalfPrecision {
    /// The `Float` value of a binary16 bit pattern (exact: every half is a float).
    @inline(__always)
    static func float(fromBits bits: UInt16) -> Float {
        #if !(os(macOS) && arch(x86_64))
        return Float(Float16(bitPattern: bits))
        #else
        return referenceFloat(fromBits: bits)
        #endif
    }

    /// The binary16 bit pattern nearest `value` (ties to even; overflow to ±infinity; NaN stays NaN).
    @inline(__always)
    static func bits(from value: Float) -> UInt16 {
        #if !(os(macOS) && arch(x86_64))
        return Float16(value).bitPattern
        #else
        return referenceBits(from: value)
        #endif
    }

    /// Software widening: 1 sign, 5 exponent (bias 15), 10 mantissa bits.
    static func referenceFloat(fromBits bits: UInt16) -> Float {
        let sign: UInt32 = UInt32(bits & 0x8000) << 16
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        if exponent == 0 {
            // Zero or subnormal: mantissa × 2⁻²⁴, exact in Float.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }

    /// Software narrowing with round to nearest, ties to even.
    static func referenceBits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
        if value.isNaN { return sign | 0x7E00 | UInt16(truncatingIfNeeded: (bits >> 13) & 0x3FF) }
        let magnitude = abs(value)
        if magnitude >= 65520 { return sign | 0x7C00 }  // 65520 = max half + half an ulp rounds up to infinity
        if magnitude < Float(sign: .plus, exponent: -14, significand: 1) {
            // Subnormal result: units of 2⁻²⁴; Float's rounding of the scaled value is ties-to-even.
            let units = (magnitude * Float(sign: .plus, exponent: 24, significand: 1)).rounded(.toNearestOrEven)
            return sign | UInt16(units)
        }
        let exponent = Int((bits >> 23) & 0xFF) - 127 + 15
        let mantissa = bits & 0x7F_FFFF
        var half = UInt32(exponent) << 10 | (mantissa >> 13)
        let remainder = mantissa & 0x1FFF
        if remainder > 0x1000 || (remainder == 0x1000 && (half & 1) == 1) { half += 1 }  // carry may bump exponent
        return sign | UInt16(half)
    }
}
