/// An ordered list of HTTP header fields with case-insensitive lookup.
///
/// Names compare case-insensitively; order and duplicates are kept as given. Values are stored as
/// given and validated when a transport sends them: a name that is not an HTTP token, or a value with
/// CR, LF or NUL, makes the transport throw ``SluiceError/Code/invalidHeader`` before anything is sent.
///
/// ```swift
/// var headers: HTTPHeaders = ["content-type": "application/json"]
/// headers.replaceOrAdd(name: "authorization", value: "Bearer \(key)")
/// let contentType = headers["Content-Type"]  // "application/json"
/// ```
///
/// - Important: The values of credential headers (see ``isSensitive(_:)``) never appear in a
///   description, a debug description or a mirror (`dump`) of the headers or of a ``Field``: they
///   show `<redacted>`.
public struct HTTPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    /// One header field.
    ///
    /// Its description and mirror show `<redacted>` for the value of a credential header.
    public struct Field: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
        CustomReflectable
    {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }

        /// The value as it may be shown: `<redacted>` for a credential header, and any key-like token
        /// redacted in another.
        var shownValue: String {
            HTTPHeaders.isSensitive(name) ? SecretRedaction.placeholder : SecretRedaction.redact(value)
        }

        public var description: String { "\(name): \(shownValue)" }
        public var debugDescription: String { description }
        public var customMirror: Mirror {
            Mirror(self, children: ["name": name, "value": shownValue], displayStyle: .struct)
        }
    }

    public private(set) var fields: [Field]

    public init() { fields = [] }

    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    /// Headers made of these fields, as they are.
    init(fields: [Field]) { self.fields = fields }

    /// Empty headers with room for `capacity` fields.
    init(minimumCapacity capacity: Int) {
        fields = []
        fields.reserveCapacity(capacity)
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    /// Appends a field, keeping any existing field of the same name.
    public mutating func add(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Removes every field with this name, then appends one with the value.
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    /// Removes every field with this name.
    public mutating func remove(name: String) {
        fields.removeAll { Self.namesEqual($0.name, name) }
    }

    /// The first value for the name, or `nil`. Setting replaces every field of that name (`nil` removes them).
    public subscript(name: String) -> String? {
        get { fields.first { Self.namesEqual($0.name, name) }?.value }
        set {
            if let newValue { replaceOrAdd(name: name, value: newValue) } else { remove(name: name) }
        }
    }

    /// Every value for the name, in order.
    public func values(for name: String) -> [String] {
        fields.filter { Self.namesEqual($0.name, name) }.map(\.value)
    }

    /// Whether a field with this name is present.
    public func contains(_ name: String) -> Bool {
        fields.contains { Self.namesEqual($0.name, name) }
    }

    /// Names and values, with the values of credential headers (`authorization`, `x-api-key`,
    /// `api-key`, `proxy-authorization`, `cookie`) replaced by `<redacted>`.
    public var description: String {
        "[" + fields.map(\.description).joined(separator: ", ") + "]"
    }

    public var debugDescription: String { description }

    /// The fields, each with a credential value redacted.
    public var customMirror: Mirror {
        Mirror(self, unlabeledChildren: fields, displayStyle: .collection)
    }

    /// Whether a header carries a credential and must never be logged: `authorization`,
    /// `proxy-authorization`, `x-api-key`, `api-key`, any other name ending in `-api-key` (such as
    /// `x-goog-api-key`), `cookie` and `set-cookie`.
    public static func isSensitive(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower == "authorization" || lower == "api-key" || lower.hasSuffix("-api-key")
            || lower == "proxy-authorization" || lower == "cookie" || lower == "set-cookie"
    }

    /// Checks that a field can be sent as is: the name is a non-empty RFC 9110 token and the value has
    /// no CR, LF or NUL. Throws ``SluiceError/Code/invalidHeader`` naming the header (never its value).
    public static func validate(_ field: Field) throws(SluiceError) {
        guard !field.name.isEmpty, field.name.utf8.allSatisfy(isTokenByte) else {
            throw SluiceError(.invalidHeader, "header name \(safeName(field.name)) is not a valid HTTP token")
        }
        for byte in field.value.utf8 where byte == 0x0D || byte == 0x0A || byte == 0x00 {
            throw SluiceError(
                .invalidHeader,
                "header \(field.name) has a value with a line break or NUL byte; it would split the request"
            )
        }
    }

    static func namesEqual(_ lhs: String, _ rhs: String) -> Bool {
        let a = lhs.utf8, b = rhs.utf8
        guard a.count == b.count else { return false }
        // Native strings hand out their bytes directly; comparing those is several times faster than
        // zipping the two views, and every lookup runs this once per field.
        let direct = a.withContiguousStorageIfAvailable { x in
            b.withContiguousStorageIfAvailable { y in bytesEqualIgnoringCase(x, y) }
        }
        if let direct, let equal = direct { return equal }
        return bytesEqualIgnoringCase(a, b)
    }

    /// Whether two byte sequences of the same length are equal but for ASCII letter case.
    private static func bytesEqualIgnoringCase<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        var x = a.makeIterator(), y = b.makeIterator()
        while let p = x.next(), let q = y.next() {
            if p != q, asciiLowercased(p) != asciiLowercased(q) { return false }
        }
        return true
    }

    /// The byte with an ASCII capital letter made lowercase; any other byte as it is.
    static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func safeName(_ name: String) -> String {
        let printable = name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? String($0) : "?" }
        return "\"" + String(printable.joined().prefix(64)) + "\""
    }
}

extension HTTPHeaders: Equatable {}
