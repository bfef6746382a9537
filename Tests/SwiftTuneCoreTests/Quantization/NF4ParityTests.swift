// NF4 against bitsandbytes 0.50.2 itself (fixtures from Tools/generate_nf4_fixtures.py, run on CPU).
//
// Everything here is exact (bit patterns, so −0.0 ≠ 0.0): quantization is comparisons and one float32 multiply or
// divide per element, dequantization one or two float32 operations, and the double quantization's offset is torch's
// float32 mean in torch's own summation order (AVX2 torch, as on the machine that generated the fixtures).
// The double quantization's 8-bit codes follow bitsandbytes' reference rule (exact nearest, as on CUDA), not
// libbitsandbytes_cpu's lookup-table shortcut, which differs in a few codes; the generator records both.
import Foundation
import SwiftTuneCore
import Testing

/// One fixture file (see the generator's docstring for where each field comes from).
struct NF4Fixture: Decodable {
    struct Nested: Decodable {
        let blocksize: Int
        let offset: Float
        let absmax2: [Float]
        let absmax2_bnb_cpu: [Float]
        let codes: [UInt8]
        let codes_bnb_cpu: [UInt8]
        let codes_differ_from_bnb_cpu: Int
    }

    let format: String
    let version: Int
    let name: String
    let blocksize: Int
    let shape: [Int]
    let weight: [Float]
    let packed: [UInt8]
    let absmax: [Float]
    let dequantized: [Float]
    let nested: Nested
    let dequantized_nested: [Float]

    static let names = ["w7x13", "w3x100", "w64x96", "w40x130", "ties", "zeros"]

    static func load(_ name: String) throws -> NF4Fixture {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures/nf4"),
                               "missing Fixtures/nf4/\(name).json")
        let fixture = try JSONDecoder().decode(NF4Fixture.self, from: Data(contentsOf: url))
        try #require(fixture.format == "swifttune-nf4-fixture" && fixture.version == 1,
                     "\(name): format \(fixture.format) version \(fixture.version)")
        return fixture
    }

    var weightTensor: Tensor<Float> { Tensor(shape: shape, scalars: weight) }
}

/// The first index where two float arrays differ bit for bit, described; nil when identical.
func firstBitDifference(_ observed: [Float], _ expected: [Float]) -> String? {
    guard observed.count == expected.count else { return "count: expected \(expected.count), observed \(observed.count)" }
    for i in 0..<expected.count where observed[i].bitPattern != expected[i].bitPattern {
        return "index \(i): expected \(expected[i]) (0x\(String(expected[i].bitPattern, radix: 16))), observed \(observed[i]) (0x\(String(observed[i].bitPattern, radix: 16)))"
    }
    return nil
}

/// The first index where two byte arrays differ, described; nil when identical.
func firstByteDifference(_ observed: [UInt8], _ expected: [UInt8]) -> String? {
    guard observed.count == expected.count else { return "count: expected \(expected.count), observed \(observed.count)" }
    for i in 0..<expected.count where observed[i] != expected[i] {
        return "index \(i): expected 0x\(String(expected[i], radix: 16)), observed 0x\(String(observed[i], radix: 16))"
    }
    return nil
}

@Suite("NF4 matches bitsandbytes")
struct NF4ParityTests {
    @Test func codebooksMatchBitsandbytes() throws {
        struct Codebooks: Decodable { let nf4: [Float]; let dynamic_signed: [Float] }
        let url = try #require(Bundle.module.url(forResource: "codebooks", withExtension: "json",
                                                 subdirectory: "Fixtures/nf4"))
        let books = try JSONDecoder().decode(Codebooks.self, from: Data(contentsOf: url))
        #expect(firstBitDifference(NF4Weight.codebook, books.nf4) == nil, "NF4 codebook")
        #expect(firstBitDifference(NF4QuantizedScales.code, books.dynamic_signed) == nil, "dynamic map")
    }

    @Test(arguments: NF4Fixture.names)
    func packedCodesAndAbsmaxAreBitExact(_ name: String) throws {
        let f = try NF4Fixture.load(name)
        let q = NF4Weight.quantize(from: f.weightTensor, doubleQuantization: false)
        #expect(q.shape == f.shape)
        let packed = firstByteDifference(q.packed, f.packed)
        #expect(packed == nil, "\(name) packed: \(packed ?? "")")
        let absmax = firstBitDifference(q.scales.absmax(), f.absmax)
        #expect(absmax == nil, "\(name) absmax: \(absmax ?? "")")
    }

    @Test(arguments: NF4Fixture.names)
    func dequantizedValuesAreBitExact(_ name: String) throws {
        let f = try NF4Fixture.load(name)
        // From bitsandbytes' own state, plain and double-quantized (its CPU 8-bit codes).
        let plain = try NF4Weight(shape: f.shape, packed: f.packed, scales: .float32(f.absmax))
        let d1 = firstBitDifference(plain.dequantize().scalars, f.dequantized)
        #expect(d1 == nil, "\(name) dequantize_4bit: \(d1 ?? "")")
        let state = try NF4QuantizedScales(codes: f.nested.codes_bnb_cpu, absmax: f.nested.absmax2_bnb_cpu,
                                           offset: f.nested.offset)
        let nested = try NF4Weight(shape: f.shape, packed: f.packed, scales: .doubleQuantized(state))
        let d2 = firstBitDifference(nested.dequantize().scalars, f.dequantized_nested)
        #expect(d2 == nil, "\(name) dequantize_4bit (double-quantized): \(d2 ?? "")")
        // And from our own quantization.
        let ours = NF4Weight.quantize(from: f.weightTensor, doubleQuantization: false)
        #expect(firstBitDifference(ours.dequantize().scalars, f.dequantized) == nil, "\(name): round trip")
    }

    @Test(arguments: NF4Fixture.names)
    func doubleQuantizationMatchesTheReferenceRule(_ name: String) throws {
        let f = try NF4Fixture.load(name)
        #expect(f.nested.blocksize == NF4QuantizedScales.blockSize)
        let state = NF4QuantizedScales.quantize(f.absmax, offset: f.nested.offset)
        let codes = firstByteDifference(state.codes, f.nested.codes)
        #expect(codes == nil, "\(name) absmax codes: \(codes ?? "")")
        let absmax2 = firstBitDifference(state.absmax, f.nested.absmax2)
        #expect(absmax2 == nil, "\(name) absmax2: \(absmax2 ?? "")")
        // libbitsandbytes_cpu's lookup-table rounding differs from the reference rule in a few codes, never in
        // more than the generator counted.
        let differ = zip(state.codes, f.nested.codes_bnb_cpu).filter { $0 != $1 }.count
        #expect(differ == f.nested.codes_differ_from_bnb_cpu, "\(name): codes differing from libbitsandbytes_cpu")
    }

    @Test(arguments: NF4Fixture.names)
    func fullPipelineMatchesBitsandbytes(_ name: String) throws {
        let f = try NF4Fixture.load(name)
        let q = NF4Weight.quantize(from: f.weightTensor)
        guard case let .doubleQuantized(state) = q.scales else {
            Issue.record("\(name): expected double-quantized scales")
            return
        }
        #expect(firstByteDifference(q.packed, f.packed) == nil, "\(name) packed")
        #expect(state.offset.bitPattern == f.nested.offset.bitPattern,
                "\(name) offset: expected \(f.nested.offset), observed \(state.offset)")
        #expect(firstByteDifference(state.codes, f.nested.codes) == nil, "\(name) absmax codes")
        #expect(firstBitDifference(state.absmax, f.nested.absmax2) == nil, "\(name) absmax2")
        #expect(firstBitDifference(q.dequantize().scalars, Self.referenceDequantized(f)) == nil, "\(name) values")
    }

    /// dequantize_4bit of the reference double quantization (bitsandbytes' CPU codes can differ in a few), from
    /// values already held bit-exact to bitsandbytes by `dequantizedValuesAreBitExact`.
    static func referenceDequantized(_ f: NF4Fixture) -> [Float] {
        let state = try! NF4QuantizedScales(codes: f.nested.codes, absmax: f.nested.absmax2, offset: f.nested.offset)
        return try! NF4Weight(shape: f.shape, packed: f.packed, scales: .doubleQuantized(state)).dequantize().scalars
    }

    @Test func mismatchedSizesThrow() {
        #expect(throws: NF4Error.sizeMismatch(what: "packed bytes for shape [3, 3]", expected: 5, actual: 4)) {
            try NF4Weight(shape: [3, 3], packed: [0, 0, 0, 0], scales: .float32([1]))
        }
        #expect(throws: NF4Error.sizeMismatch(what: "absmax values for shape [10, 13]", expected: 3, actual: 2)) {
            try NF4Weight(shape: [10, 13], packed: [UInt8](repeating: 0, count: 65), scales: .float32([1, 1]))
        }
        #expect(throws: NF4Error.self) { try NF4QuantizedScales(codes: [UInt8](repeating: 0, count: 257), absmax: [1], offset: 0) }
    }
}
