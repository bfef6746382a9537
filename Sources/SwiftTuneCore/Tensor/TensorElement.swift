import Foundation

/// A type that a ``Tensor`` can store.
///
/// Storage types (`Float16`, ``BFloat16``) only hold and convert values; arithmetic and autograd need a
/// ``TensorScalar`` (`Float` for compute, `Double` for gradient checks). Every element converts to and from
/// `Float`; for `Float16` and ``BFloat16`` the widening conversion is exact.
public protocol TensorElement: Sendable {
    /// The safetensors dtype name (`"F32"`, `"F64"`, `"F16"`, `"BF16"`).
    static var dtypeName: String { get }
    /// Bytes per element.
    static var byteSize: Int { get }
    /// Converts from `Float`, rounding to nearest (ties to even) when the type is narrower.
    init(_ value: Float)
    /// The value as a `Float` (exact for `Float16`, ``BFloat16`` and `Float`; rounded for `Double`).
    var floatValue: Float { get }
}

extension Float: TensorElement {
    public static var dtypeName: String { "F32" }
    public static var byteSize: Int { 4 }
    public var floatValue: Float { self }
}

extension Double: TensorElement {
    public static var dtypeName: String { "F64" }
    public static var byteSize: Int { 8 }
    public var floatValue: Float { Float(self) }
}

#if !(os(macOS) && arch(x86_64))
extension Float16: TensorElement {
    public static var dtypeName: String { "F16" }
    public static var byteSize: Int { 2 }
    public var floatValue: Float { Float(self) }
}
#endif

/// Brain floating point: the top 16 bits of an IEEE-754 `Float` (1 sign, 8 exponent, 7 mantissa bits).
///
/// Widening to `Float` is exact (append 16 zero bits). Narrowing rounds to nearest, ties to even, as PyTorch's
/// `tensor.to(torch.bfloat16)` does; NaN stays NaN (quiet).
public struct BFloat16: TensorElement, Hashable, CustomStringConvertible {
    /// The raw 16-bit pattern.
    public var bitPattern: UInt16

    public static var dtypeName: String { "BF16" }
    public static var byteSize: Int { 2 }

    /// Wraps a raw bit pattern.
    public init(bitPattern: UInt16) { self.bitPattern = bitPattern }

    public init(_ value: Float) {
        let bits = value.bitPattern
        if value.isNaN {
            bitPattern = UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
            return
        }
        // Round to nearest even on the 16 discarded bits.
        let lsb = (bits >> 16) & 1
        let rounded = bits &+ 0x7FFF &+ lsb
        bitPattern = UInt16(truncatingIfNeeded: rounded >> 16)
    }

    public var floatValue: Float { Float(bitPattern: UInt32(bitPattern) << 16) }
    public var description: String { floatValue.description }
}

/// A floating-point type that tensors compute in: `Float` (training and inference) or `Double` (gradient checks).
///
/// The math functions are requirements so that generic kernels can call them; `Float` tensors run most operations
/// in the CKernels C target instead of these scalar functions.
public protocol TensorScalar: TensorElement, BinaryFloatingPoint, Codable
where RawSignificand: FixedWidthInteger {
    /// Converts from `Double` (rounding).
    init(_ value: Double)
    /// This value as a `Double` (exact).
    var doubleValue: Double { get }
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func erf(_ x: Self) -> Self
    static func cos(_ x: Self) -> Self
    static func sin(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
}

extension Float: TensorScalar {
    public var doubleValue: Double { Double(self) }
    @inlinable public static func exp(_ x: Float) -> Float { Foundation.exp(x) }
    @inlinable public static func log(_ x: Float) -> Float { Foundation.log(x) }
    @inlinable public static func tanh(_ x: Float) -> Float { Foundation.tanh(x) }
    @inlinable public static func erf(_ x: Float) -> Float { Foundation.erf(x) }
    @inlinable public static func cos(_ x: Float) -> Float { Foundation.cos(x) }
    @inlinable public static func sin(_ x: Float) -> Float { Foundation.sin(x) }
    @inlinable public static func pow(_ x: Float, _ y: Float) -> Float { Foundation.pow(x, y) }
}

extension Double: TensorScalar {
    public var doubleValue: Double { self }
    @inlinable public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inlinable public static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inlinable public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    @inlinable public static func erf(_ x: Double) -> Double { Foundation.erf(x) }
    @inlinable public static func cos(_ x: Double) -> Double { Foundation.cos(x) }
    @inlinable public static func sin(_ x: Double) -> Double { Foundation.sin(x) }
    @inlinable public static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
}

extension Int64: TensorElement {
    public static var dtypeName: String { "I64" }
    public static var byteSize: Int { 8 }
    public var floatValue: Float { Float(self) }
}

extension Int32: TensorElement {
    public static var dtypeName: String { "I32" }
    public static var byteSize: Int { 4 }
    public var floatValue: Float { Float(self) }
}
