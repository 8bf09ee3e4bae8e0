/// Any JSON value, typed: the escape hatch for provider-specific fields that Sluice has no typed
/// property for.
///
/// Build one with literals, read one with subscripts and accessors:
///
/// ```swift
/// let extra: JSONValue = ["reasoning": ["effort": "low"], "seed": 7, "tags": ["a", "b"], "user": nil]
/// let effort = extra["reasoning"]?["effort"]?.stringValue   // "low"
/// let tag = extra["tags"]?[1]?.stringValue                   // "b"
/// let text = extra.description                              // {"reasoning":{"effort":"low"},"seed":7,...}
///
/// let parsed = try JSONValue(parsing: #"{"a":[1,2.5,null]}"#)
/// ```
///
/// Objects keep their key order (``JSONObject``); numbers keep their literal text (``JSONNumber``).
/// ``description`` is compact JSON. `Codable` works with any encoder or decoder; with Sluice's own
/// reader and writer the round trip is exact.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

// MARK: - Reading

extension JSONValue {
    /// How deeply arrays and objects may nest when parsing, unless a caller says otherwise: 512.
    public static let defaultMaxDepth = 512

    /// Parses one JSON document (RFC 8259, UTF-8), rejecting trailing non-whitespace.
    ///
    /// - Throws: ``SluiceError/Code/decodingFailed`` saying what was wrong and at which byte offset.
    public init(parsing bytes: some Collection<UInt8>, maxDepth: Int = JSONValue.defaultMaxDepth) throws {
        self = try JSONReader.read(bytes, maxDepth: maxDepth) { try $0.readValue() }
    }

    /// Parses one JSON document held in a string; see ``init(parsing:maxDepth:)-(Collection<UInt8>,_)``.
    public init(parsing text: String, maxDepth: Int = JSONValue.defaultMaxDepth) throws {
        self = try JSONReader.read(text.utf8, maxDepth: maxDepth) { try $0.readValue() }
    }

    /// The value as compact JSON bytes (UTF-8).
    public var jsonBytes: [UInt8] {
        var writer = JSONWriter()
        writer.write(self)
        return writer.bytes
    }

    /// The member `key` of an object; `nil` for a missing key or when this is not an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    /// The element at `index` of an array; `nil` when out of range or when this is not an array.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let array) = self, array.indices.contains(index) else { return nil }
        return array[index]
    }

    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The value of a `.bool`, else `nil`.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The value of a `.string`, else `nil`.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The value of a `.number` that is an integer fitting in `Int`, else `nil`.
    public var intValue: Int? {
        if case .number(let value) = self { return value.intValue }
        return nil
    }

    /// The value of a `.number` as a `Double`, else `nil`.
    public var doubleValue: Double? {
        if case .number(let value) = self { return value.doubleValue }
        return nil
    }

    /// The elements of an `.array`, else `nil`.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The members of an `.object`, else `nil`.
    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }
}

// MARK: - Literals

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    public init(floatLiteral value: Double) { self = .number(JSONNumber(floatLiteral: value)) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
}

// MARK: - Description

extension JSONValue: CustomStringConvertible {
    /// The value as compact JSON text.
    public var description: String {
        String(decoding: jsonBytes, as: UTF8.self)
    }
}
