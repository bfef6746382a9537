// The values a Jinja template computes with: Python's None, bool, int, float, str, list and dict, Jinja2's
// Undefined, and an opaque case for what only the interpreter creates (macros, namespaces, the loop object,
// iterators, bound methods, global functions).

/// A value inside a Jinja template, modelled on the Python value Jinja2 would hold.
///
/// Strings are sequences of Unicode code points, as in Python (length, indexing and slicing count scalars,
/// not grapheme clusters). Tuples are represented as arrays. Dictionaries keep insertion order.
///
/// ```swift
/// let context: [String: JinjaValue] = [
///     "messages": .array([.object(JinjaObject([("role", "user"), ("content", "Hi")], origin: 0))]),
///     "add_generation_prompt": true,
/// ]
/// ```
///
/// `==` here is structural (same case, same payload, objects also compare their ``JinjaObject/origin``);
/// templates compare with Python's rules instead (`1 == 1.0`, dicts ignore key order).
public indirect enum JinjaValue: Sendable, Equatable {
    /// Jinja2's `Undefined`: a missing variable, key or attribute. Prints as "", is falsy, iterates as empty.
    case undefined
    /// Python's `None`.
    case none
    /// Python's `bool`.
    case bool(Bool)
    /// Python's `int` (64 bits here; arithmetic that would overflow throws).
    case int(Int)
    /// Python's `float`.
    case double(Double)
    /// Python's `str`.
    case string(String)
    /// Python's `list` (and `tuple`).
    case array([JinjaValue])
    /// Python's `dict` with string keys.
    case object(JinjaObject)
    /// A value only the interpreter creates: a macro, a namespace, the loop object, an iterator returned by a
    /// filter such as `select`, a bound method or a global function.
    case opaque(JinjaOpaque)
}

/// A Python `dict` with string keys, in insertion order, optionally tagged with an ``origin``.
///
/// The tag travels with the value: copying the object into a variable, slicing or reversing the list that
/// holds it, or filtering that list keeps it. ``JinjaTemplate/renderTracked(_:)`` uses it to report which
/// bytes of the output each tagged object's loop iteration wrote.
///
/// ```swift
/// var message = JinjaObject([("role", "user"), ("content", "Hi")], origin: 3)
/// message["content"] = "Hello"   // keeps its position
/// message.keys                   // ["role", "content"]
/// ```
public struct JinjaObject: Sendable, Equatable {
    /// The keys, in insertion order.
    public private(set) var keys: [String]
    /// The values, parallel to ``keys``.
    private(set) var values: [JinjaValue]
    /// Key → position, built once the object has more than `indexThreshold` keys.
    private var index: [JinjaKey: Int]?
    /// The original keys when a template's dict literal used non-string keys (`{0: 'a'}`): ``keys`` then
    /// holds their `str()`, and iteration, `items()`, `dictsort` and `repr` use these. Nil otherwise.
    private(set) var keyValues: [JinjaValue]?
    /// A tag set by the caller (for example the index of a chat message); `nil` for objects templates build.
    public var origin: Int?

    private static let indexThreshold = 12

    /// Creates an object from key–value pairs; a repeated key keeps its first position and its last value,
    /// as in a Python dict literal.
    public init(_ pairs: [(String, JinjaValue)] = [], origin: Int? = nil) {
        keys = []
        values = []
        keys.reserveCapacity(pairs.count)
        values.reserveCapacity(pairs.count)
        self.origin = origin
        for (key, value) in pairs { self[key] = value }
    }

    /// The number of keys.
    public var count: Int { keys.count }

    /// The value for `key`, or `nil`; setting `nil` removes the key.
    public subscript(key: String) -> JinjaValue? {
        get { position(of: key).map { values[$0] } }
        set {
            if let i = position(of: key) {
                if let newValue {
                    values[i] = newValue
                } else {
                    keys.remove(at: i)
                    values.remove(at: i)
                    keyValues?.remove(at: i)
                    rebuildIndex()
                }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
                keyValues?.append(.string(key))
                if index != nil {
                    index?[JinjaKey(key)] = keys.count - 1
                } else if keys.count > Self.indexThreshold {
                    rebuildIndex()
                }
            }
        }
    }

    /// The key–value pairs in order.
    var pairs: Zip2Sequence<[String], [JinjaValue]> { zip(keys, values) }

    /// The keys as template values (strings, or the original non-string keys).
    var keyList: [JinjaValue] { keyValues ?? keys.map { .string($0) } }

    /// The key–value pairs with the original keys.
    var entries: Zip2Sequence<[JinjaValue], [JinjaValue]> { zip(keyList, values) }

    /// `d[key]` for any key: strings by text, other keys by Python equality with the original keys.
    func value(for key: JinjaValue) -> JinjaValue? {
        if case .string(let k) = key {
            guard let i = position(of: k), keyValues?[i].isString ?? true else { return nil }
            return values[i]
        }
        guard let keyValues else { return nil }
        for (i, k) in keyValues.enumerated() where !k.isString && ((try? k.pythonEquals(key)) ?? false) { return values[i] }
        return nil
    }

    /// Sets `d[key]` for a key of any type (a dict literal or `dict()` with non-string keys).
    mutating func set(_ value: JinjaValue, for key: JinjaValue) throws {
        if case .string(let k) = key, keyValues == nil {
            self[k] = value
            return
        }
        for (i, k) in keyList.enumerated() where try k.pythonEquals(key) {
            values[i] = value
            return
        }
        if keyValues == nil { keyValues = keys.map { .string($0) } }
        keys.append(try key.pythonString())
        values.append(value)
        keyValues?.append(key)
        rebuildIndex()
    }

    func position(of key: String) -> Int? {
        if let index { return index[JinjaKey(key)] }
        return keys.firstIndex { $0.utf8.elementsEqual(key.utf8) }
    }

    private mutating func rebuildIndex() {
        guard keys.count > Self.indexThreshold else { index = nil; return }
        var built = [JinjaKey: Int](minimumCapacity: keys.count)
        for (i, key) in keys.enumerated() { built[JinjaKey(key)] = i }
        index = built
    }

    /// Structural equality: the same origin, the same keys in the same order and equal values.
    public static func == (lhs: JinjaObject, rhs: JinjaObject) -> Bool {
        lhs.origin == rhs.origin && lhs.keys.count == rhs.keys.count && lhs.keyValues == rhs.keyValues
            && zip(lhs.keys, rhs.keys).allSatisfy { $0.utf8.elementsEqual($1.utf8) } && lhs.values == rhs.values
    }
}

/// A dictionary key compared and hashed by its UTF-8 bytes, as Python compares `str` (Swift's `String` would
/// treat canonically equivalent spellings as equal).
struct JinjaKey: Hashable {
    let string: String
    init(_ string: String) { self.string = string }
    static func == (lhs: JinjaKey, rhs: JinjaKey) -> Bool { lhs.string.utf8.elementsEqual(rhs.string.utf8) }
    func hash(into hasher: inout Hasher) {
        var s = string
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// A value only the interpreter creates; callers see it only if they inspect intermediate values.
///
/// Two opaque values are equal when they are the same object.
public struct JinjaOpaque: Sendable, Equatable, CustomStringConvertible {
    let storage: JinjaOpaqueStorage

    init(_ storage: JinjaOpaqueStorage) { self.storage = storage }

    /// A Python-style representation such as `<Macro 'name'>`.
    public var description: String { storage.repr }

    /// Identity.
    public static func == (lhs: JinjaOpaque, rhs: JinjaOpaque) -> Bool { lhs.storage.identical(to: rhs.storage) }
}

extension JinjaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    /// A string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An int.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// A float.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// A bool.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// A list.
    public init(arrayLiteral elements: JinjaValue...) { self = .array(elements) }
    /// A dict with the literal's key order and no origin.
    public init(dictionaryLiteral elements: (String, JinjaValue)...) { self = .object(JinjaObject(elements)) }
}
