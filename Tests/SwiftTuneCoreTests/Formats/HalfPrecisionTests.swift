@testable import SwiftTuneCore
import Testing

/// The software binary16 conversions (the macOS x86_64 path) held to Swift's `Float16`.
@Suite("Safetensors F16 conversions")
struct SafetensorsHalfPrecisionTests {
    #if !(os(macOS) && arch(x86_64))
    @Test func wideningMatchesFloat16ForEveryBitPattern() {
        var mismatches: [UInt16] = []
        for bits in UInt16.min...UInt16.max {
            let reference = Float(Float16(bitPattern: bits))
            let software = HalfPrecision.referenceFloat(fromBits: bits)
            let same = reference.isNaN ? software.isNaN : software.bitPattern == reference.bitPattern
            if !same { mismatches.append(bits) }
        }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5))")
    }

    @Test func narrowingMatchesFloat16() {
        var candidates: [Float] = [0, -0, 65504, 65519.99, 65520, -65520, 1e-8, 2.98e-8, 2.9802322e-8, 5.9604645e-8,
                                   6.1035156e-5, 6.1e-5, .infinity, -.infinity, .nan, .greatestFiniteMagnitude,
                                   .leastNonzeroMagnitude]
        // Every half, and the midpoints between neighbours (ties) and just either side of them.
        for bits in UInt16(0)..<0x7C00 {
            let low = Float(Float16(bitPattern: bits)), high = Float(Float16(bitPattern: bits + 1))
            let middle = (low + high) / 2
            candidates += [low, middle, middle.nextDown, middle.nextUp, -middle]
        }
        var worst: (Float, UInt16, UInt16)?
        for x in candidates {
            let reference = Float16(x).bitPattern
            let software = HalfPrecision.referenceBits(from: x)
            let same = x.isNaN ? (software & 0x7C00 == 0x7C00 && software & 0x3FF != 0) : software == reference
            if !same && worst == nil { worst = (x, reference, software) }
        }
        #expect(worst == nil, "value, expected bits, observed bits: \(String(describing: worst))")
    }
    #endif
}
