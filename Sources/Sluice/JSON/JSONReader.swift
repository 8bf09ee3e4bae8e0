/// A strict, allocation-lean JSON reader (RFC 8259) over UTF-8 bytes, for decoders on the hot path.
///
/// A decoder walks the document and reads only the fields it needs; everything else is skipped
/// without building values. Keys are matched as raw bytes against string literals:
///
/// ```swift
/// let (id, content) = try JSONReader.read(bytes) { reader -> (String?, String?) in
///     var id: String?, content: String?
///     try reader.readObject { key, reader in
///         switch key {
///         case "id": id = try reader.readStringOrNull()
///         case "content": content = try reader.readStringOrNull()
///         default: break  // a value the body does not read is skipped
///         }
///     }
///     return (id, content)
/// }
/// ```
///
/// Rules the reader enforces: exactly one value per document (whitespace around it only); strings
/// are valid UTF-8 without raw control characters, escapes are the RFC's (`\uXXXX` surrogates must
/// pair); numbers follow the RFC grammar (no `+`, leading zeros, `NaN`); nesting is limited to
/// `maxDepth` arrays and objects.
///
/// - Important: A reader and the ``JSONKey`` values it hands out point into the input bytes; they are
///   only valid inside the closure given to ``read(_:maxDepth:_:)-(UnsafeBufferPointer<UInt8>,_,_)``.
///   Each `read…`/`skipValue()` call consumes exactly one value.
struct JSONReader {
    /// The input.
    let input: UnsafeBufferPointer<UInt8>
    /// The offset of the next byte to read.
    private(set) var offset: Int = 0
    /// How many arrays and objects may nest.
    let maxDepth: Int
    private var depth = 0
    // Reused buffer for strings with escapes.
    private var scratch: [UInt8] = []

    static let defaultMaxDepth = JSONValue.defaultMaxDepth

    init(_ input: UnsafeBufferPointer<UInt8>, maxDepth: Int = defaultMaxDepth) {
        self.input = input
        self.maxDepth = maxDepth
    }

    // MARK: Entry points

    /// Reads one document from `bytes` with `body`, then checks that only whitespace follows.
    static func read<Result>(
        _ bytes: UnsafeBufferPointer<UInt8>,
        maxDepth: Int = defaultMaxDepth,
        _ body: (inout JSONReader) throws -> Result
    ) throws -> Result {
        var reader = JSONReader(bytes, maxDepth: maxDepth)
        let result = try body(&reader)
        try reader.expectEnd()
        return result
    }

    /// Reads one document held in any contiguous or non-contiguous byte collection (a `[UInt8]`, a
    /// `String.UTF8View`, a `Substring.UTF8View`…); contiguous storage is read in place.
    static func read<Result>(
        _ bytes: some Collection<UInt8>,
        maxDepth: Int = defaultMaxDepth,
        _ body: (inout JSONReader) throws -> Result
    ) throws -> Result {
        if let result = try bytes.withContiguousStorageIfAvailable({ try read($0, maxDepth: maxDepth, body) }) {
            return result
        }
        return try Array(bytes).withUnsafeBufferPointer { try read($0, maxDepth: maxDepth, body) }
    }

    /// Reads one document held in a string's UTF-8 (in place for native strings).
    static func read<Result>(
        _ text: String,
        maxDepth: Int = defaultMaxDepth,
        _ body: (inout JSONReader) throws -> Result
    ) throws -> Result {
        var text = text
        return try text.withUTF8 { try read($0, maxDepth: maxDepth, body) }
    }

    /// Fails unless only whitespace is left.
    mutating func expectEnd() throws {
        skipWhitespace()
        if offset < input.count { throw error("unexpected data after the JSON value") }
    }

    // MARK: Looking ahead

    /// What kind of value comes next.
    enum Kind: Sendable, Hashable {
        case null, bool, number, string, array, object
    }

    /// The kind of the next value, without consuming it.
    mutating func peekKind() throws -> Kind {
        skipWhitespace()
        guard offset < input.count else { throw error("unexpected end of input, expected a value") }
        switch input[offset] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw error("unexpected character, expected a value")
        }
    }

    // MARK: Containers

    /// Reads an object, calling `body` with each key and the reader positioned at its value. The body
    /// reads or skips the value; if it consumes nothing, the value is skipped for it.
    mutating func readObject(_ body: (JSONKey, inout JSONReader) throws -> Void) throws {
        skipWhitespace()
        try expect(UInt8(ascii: "{"), "expected an object")
        try enterContainer()
        skipWhitespace()
        if peekByte() == UInt8(ascii: "}") {
            offset += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            guard peekByte() == UInt8(ascii: "\"") else { throw error("expected a string key in an object") }
            let key = try readKey()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "expected ':' after an object key")
            skipWhitespace()
            let valueStart = offset
            try body(key, &self)
            if offset == valueStart { try skipValue() }
            skipWhitespace()
            guard let byte = peekByte() else { throw error("unexpected end of input in an object") }
            offset += 1
            if byte == UInt8(ascii: ",") { continue }
            if byte == UInt8(ascii: "}") { break }
            offset -= 1
            throw error("expected ',' or '}' in an object")
        }
        depth -= 1
    }

    /// Reads an array, calling `body` with the reader positioned at each element. The body reads or
    /// skips the element; if it consumes nothing, the element is skipped for it.
    mutating func readArray(_ body: (inout JSONReader) throws -> Void) throws {
        skipWhitespace()
        try expect(UInt8(ascii: "["), "expected an array")
        try enterContainer()
        skipWhitespace()
        if peekByte() == UInt8(ascii: "]") {
            offset += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            let elementStart = offset
            try body(&self)
            if offset == elementStart { try skipValue() }
            skipWhitespace()
            guard let byte = peekByte() else { throw error("unexpected end of input in an array") }
            offset += 1
            if byte == UInt8(ascii: ",") { continue }
            if byte == UInt8(ascii: "]") { break }
            offset -= 1
            throw error("expected ',' or ']' in an array")
        }
        depth -= 1
    }

    // MARK: Scalars

    /// Consumes a `null` if one comes next and returns `true`; otherwise consumes nothing.
    mutating func readNullIfPresent() throws -> Bool {
        skipWhitespace()
        guard peekByte() == UInt8(ascii: "n") else { return false }
        try expectLiteral("null")
        return true
    }

    /// Reads `null`.
    mutating func readNull() throws {
        skipWhitespace()
        guard peekByte() == UInt8(ascii: "n") else { throw error("expected null") }
        try expectLiteral("null")
    }

    /// Reads `true` or `false`.
    mutating func readBool() throws -> Bool {
        skipWhitespace()
        switch peekByte() {
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return true
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return false
        default:
            throw error("expected true or false")
        }
    }

    /// Reads a string.
    mutating func readString() throws -> String {
        skipWhitespace()
        guard peekByte() == UInt8(ascii: "\"") else { throw error("expected a string") }
        return try scanString()
    }

    /// Reads a string, or `null` as `nil`.
    mutating func readStringOrNull() throws -> String? {
        if try readNullIfPresent() { return nil }
        return try readString()
    }

    /// Reads a string, or `null` as `nil`; a value of another type is skipped, returns `nil` and sets
    /// `mismatched`. For a key whose meaning depends on a sibling tag that may come later (a content
    /// block's `data` is a string only in some block types), so the caller decides once it knows.
    mutating func readStringIfString(mismatched: inout Bool) throws -> String? {
        switch try peekKind() {
        case .string:
            return try readString()
        case .null:
            try skipValue()
            return nil
        case .bool, .number, .array, .object:
            try skipValue()
            mismatched = true
            return nil
        }
    }

    /// Reads an integer that fits in `Int`. Accepts a number written with a fraction or exponent when
    /// its value is a whole number (`2.0`, `1e3`).
    mutating func readInt() throws -> Int {
        skipWhitespace()
        let start = offset
        guard let scanned = JSONNumber.scan(input, from: offset) else { throw error("expected a number") }
        offset = scanned.end
        if scanned.isInteger, let value = JSONNumber.parseInteger(input, scanned.start, scanned.end) {
            return value
        }
        guard let value = Int(exactly: parseDouble(scanned.start, scanned.end)) else {
            offset = start
            throw error("expected an integer that fits in 64 bits")
        }
        return value
    }

    /// Reads an integer, or `null` as `nil`.
    mutating func readIntOrNull() throws -> Int? {
        if try readNullIfPresent() { return nil }
        return try readInt()
    }

    /// Reads a token count from a server, leniently: any number (huge, negative, fractional, with an
    /// exponent) is clamped to `0...WireNumber.maxCount` and rounded down; `null`, a string, a bool,
    /// an array or an object is skipped and reads as `nil`, so an odd usage field never costs the
    /// reply it came with. Malformed JSON still throws.
    mutating func readTokenCount() throws -> Int? {
        skipWhitespace()
        guard let scanned = JSONNumber.scan(input, from: offset) else {
            try skipValue()
            return nil
        }
        offset = scanned.end
        if scanned.isInteger {
            if let value = JSONNumber.parseInteger(input, scanned.start, scanned.end) {
                return WireNumber.clampCount(value)
            }
            // Too many digits for an Int: saturate by sign.
            return input[scanned.start] == UInt8(ascii: "-") ? 0 : WireNumber.maxCount
        }
        return WireNumber.count(parseDouble(scanned.start, scanned.end))
    }

    /// Reads a number as a `Double`.
    mutating func readDouble() throws -> Double {
        skipWhitespace()
        guard let scanned = JSONNumber.scan(input, from: offset) else { throw error("expected a number") }
        offset = scanned.end
        if scanned.isInteger, scanned.end - scanned.start <= 15,
            let value = JSONNumber.parseInteger(input, scanned.start, scanned.end)
        {
            return Double(value)
        }
        return parseDouble(scanned.start, scanned.end)
    }

    /// Reads a number as a `JSONNumber`, keeping its text.
    mutating func readNumber() throws -> JSONNumber {
        skipWhitespace()
        guard let scanned = JSONNumber.scan(input, from: offset) else { throw error("expected a number") }
        offset = scanned.end
        let text = String(decoding: UnsafeBufferPointer(rebasing: input[scanned.start..<scanned.end]), as: UTF8.self)
        return JSONNumber(validatedText: text)
    }

    /// Reads a string or a number and returns its text (a number's literal). Useful for fields that
    /// providers send either way, such as an error `code`.
    mutating func readStringOrNumberText() throws -> String {
        if try peekKind() == .number { return try readNumber().text }
        return try readString()
    }

    // MARK: Whole values

    /// Reads any value into a ``JSONValue``.
    mutating func readValue() throws -> JSONValue {
        switch try peekKind() {
        case .null:
            try expectLiteral("null")
            return .null
        case .bool:
            return .bool(try readBool())
        case .number:
            return .number(try readNumber())
        case .string:
            return .string(try scanString())
        case .array:
            var elements: [JSONValue] = []
            try readArray { reader in elements.append(try reader.readValue()) }
            return .array(elements)
        case .object:
            var entries: [JSONObject.Element] = []
            try readObject { key, reader in
                entries.append((key.string, try reader.readValue()))
            }
            return .object(Self.makeObject(entries))
        }
    }

    /// An object from parsed entries. RFC 8259 leaves repeated keys open; here the last value wins, at
    /// the key's first position. Linear in the number of keys, so a hostile document cannot make it
    /// quadratic.
    private static func makeObject(_ entries: [JSONObject.Element]) -> JSONObject {
        var hasDuplicates = false
        if entries.count <= 16 {
            outer: for index in entries.indices.dropFirst() {
                for earlier in 0..<index where entries[earlier].key == entries[index].key {
                    hasDuplicates = true
                    break outer
                }
            }
        } else {
            hasDuplicates = Set(entries.lazy.map(\.key)).count != entries.count
        }
        guard hasDuplicates else { return JSONObject(uniqueEntries: entries) }
        var positions: [String: Int] = [:]
        var unique: [JSONObject.Element] = []
        for (key, value) in entries {
            if let position = positions[key] {
                unique[position].value = value
            } else {
                positions[key] = unique.count
                unique.append((key, value))
            }
        }
        return JSONObject(uniqueEntries: unique)
    }

    /// Skips the next value, validating it, without building anything.
    mutating func skipValue() throws {
        switch try peekKind() {
        case .null:
            try expectLiteral("null")
        case .bool:
            _ = try readBool()
        case .number:
            guard let scanned = JSONNumber.scan(input, from: offset) else { throw error("invalid number") }
            offset = scanned.end
        case .string:
            offset += 1
            _ = try scanStringBody(collecting: false)
        case .array:
            try readArray { reader in try reader.skipValue() }
        case .object:
            try readObject { _, reader in try reader.skipValue() }
        }
    }

    // MARK: Errors

    /// A ``SluiceError/Code/decodingFailed`` error at the current offset, with a short excerpt.
    func error(_ what: String) -> SluiceError {
        error(what, at: offset)
    }

    /// A ``SluiceError/Code/decodingFailed`` error at `position`, with at most 40 bytes of the input.
    func error(_ what: String, at position: Int) -> SluiceError {
        let position = min(max(0, position), input.count)
        let from = max(0, position - 16)
        let to = min(input.count, position + 24)
        var excerpt = ""
        for scalar in String(decoding: UnsafeBufferPointer(rebasing: input[from..<to]), as: UTF8.self).unicodeScalars {
            if scalar.value < 0x20 || scalar == "\u{7F}" {
                excerpt += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                excerpt.unicodeScalars.append(scalar)
            }
        }
        let place = position >= input.count ? "at the end (byte offset \(position))" : "at byte offset \(position)"
        return SluiceError(.decodingFailed, "invalid JSON \(place): \(what); near \"\(excerpt)\"")
    }

    // MARK: Internals

    @inline(__always)
    private func peekByte() -> UInt8? {
        offset < input.count ? input[offset] : nil
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while offset < input.count {
            let byte = input[offset]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            offset += 1
        }
    }

    @inline(__always)
    private mutating func expect(_ byte: UInt8, _ what: @autoclosure () -> String) throws {
        guard offset < input.count, input[offset] == byte else { throw error(what()) }
        offset += 1
    }

    private mutating func enterContainer() throws {
        depth += 1
        if depth > maxDepth {
            offset -= 1
            throw error("nesting deeper than the limit of \(maxDepth) arrays and objects")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        let bytes = literal.utf8Start
        guard offset + count <= input.count else { throw error("invalid literal, expected \(literal)") }
        for index in 0..<count where input[offset + index] != bytes[index] {
            throw error("invalid literal, expected \(literal)")
        }
        offset += count
    }

    private func parseDouble(_ start: Int, _ end: Int) -> Double {
        // The grammar was checked; Swift's parser accepts that syntax (and reads it correctly rounded).
        Double(String(decoding: UnsafeBufferPointer(rebasing: input[start..<end]), as: UTF8.self)) ?? .nan
    }

    /// Reads a key at the opening quote.
    private mutating func readKey() throws -> JSONKey {
        offset += 1
        let start = offset
        // Fast path: plain ASCII key without escapes.
        while offset < input.count {
            let byte = input[offset]
            if byte == UInt8(ascii: "\"") {
                let key = JSONKey(UnsafeBufferPointer(rebasing: input[start..<offset]))
                offset += 1
                return key
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
            offset += 1
        }
        offset = start
        guard let collected = try scanStringBody(collecting: true) else {
            // No escapes: the raw bytes are the key (validated as UTF-8).
            return JSONKey(UnsafeBufferPointer(rebasing: input[start..<(offset - 1)]))
        }
        return JSONKey(owned: collected)
    }

    /// Reads a string at the opening quote.
    private mutating func scanString() throws -> String {
        offset += 1
        let start = offset
        // Fast path: ASCII without escapes.
        while offset < input.count {
            let byte = input[offset]
            if byte == UInt8(ascii: "\"") {
                let string = String(decoding: UnsafeBufferPointer(rebasing: input[start..<offset]), as: UTF8.self)
                offset += 1
                return string
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
            offset += 1
        }
        offset = start
        if let collected = try scanStringBody(collecting: true) {
            return String(decoding: collected, as: UTF8.self)
        }
        return String(decoding: UnsafeBufferPointer(rebasing: input[start..<(offset - 1)]), as: UTF8.self)
    }

    /// Scans a string body from just after the opening quote to just after the closing quote,
    /// validating UTF-8, control characters and escapes. Returns the unescaped bytes when the string
    /// had escapes and `collecting` is set; `nil` when the raw bytes are the string.
    private mutating func scanStringBody(collecting: Bool) throws -> [UInt8]? {
        var runStart = offset
        var hadEscapes = false
        if collecting { scratch.removeAll(keepingCapacity: true) }
        while true {
            guard offset < input.count else { throw error("unterminated string") }
            let byte = input[offset]
            if byte == UInt8(ascii: "\"") {
                if hadEscapes && collecting {
                    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[runStart..<offset]))
                }
                offset += 1
                return hadEscapes && collecting ? scratch : nil
            }
            if byte < 0x20 {
                throw error("a control character must be escaped in a string")
            }
            if byte < 0x80 {
                if byte == UInt8(ascii: "\\") {
                    if collecting {
                        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[runStart..<offset]))
                    }
                    hadEscapes = true
                    try scanEscape(collecting: collecting)
                    runStart = offset
                } else {
                    offset += 1
                }
                continue
            }
            guard let next = UTF8Validation.endOfSequence(input, at: offset) else {
                throw error("invalid UTF-8 in a string")
            }
            offset = next
        }
    }

    /// Handles one escape at the backslash.
    private mutating func scanEscape(collecting: Bool) throws {
        let escapeStart = offset
        offset += 1
        guard offset < input.count else { throw error("unterminated string") }
        let byte = input[offset]
        offset += 1
        let unescaped: UInt8
        switch byte {
        case UInt8(ascii: "\""): unescaped = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): unescaped = UInt8(ascii: "\\")
        case UInt8(ascii: "/"): unescaped = UInt8(ascii: "/")
        case UInt8(ascii: "b"): unescaped = 0x08
        case UInt8(ascii: "f"): unescaped = 0x0C
        case UInt8(ascii: "n"): unescaped = 0x0A
        case UInt8(ascii: "r"): unescaped = 0x0D
        case UInt8(ascii: "t"): unescaped = 0x09
        case UInt8(ascii: "u"):
            var scalar = try readHex4(escapeStart)
            if scalar >= 0xD800, scalar <= 0xDBFF {
                // A high surrogate must be followed by an escaped low surrogate.
                guard offset + 1 < input.count, input[offset] == UInt8(ascii: "\\"),
                    input[offset + 1] == UInt8(ascii: "u")
                else { throw error("unpaired UTF-16 surrogate in a \\u escape", at: escapeStart) }
                offset += 2
                let low = try readHex4(escapeStart)
                guard low >= 0xDC00, low <= 0xDFFF else {
                    throw error("unpaired UTF-16 surrogate in a \\u escape", at: escapeStart)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if scalar >= 0xDC00, scalar <= 0xDFFF {
                throw error("unpaired UTF-16 surrogate in a \\u escape", at: escapeStart)
            }
            if collecting { appendUTF8(scalar) }
            return
        default:
            throw error("invalid escape sequence in a string", at: escapeStart)
        }
        if collecting { scratch.append(unescaped) }
    }

    private mutating func readHex4(_ escapeStart: Int) throws -> UInt32 {
        guard offset + 4 <= input.count else { throw error("invalid \\u escape", at: escapeStart) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = input[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape", at: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | (scalar >> 6)))
            scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | (scalar >> 12)))
            scratch.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            scratch.append(UInt8(0xF0 | (scalar >> 18)))
            scratch.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }
}

/// An object key handed to ``JSONReader/readObject(_:)``: the key's UTF-8 bytes, compared against
/// string literals without allocating. Match it in a `switch` with string-literal cases, or with `==`.
///
/// - Important: Valid only inside the `readObject` body it was passed to.
struct JSONKey {
    private let borrowed: UnsafeBufferPointer<UInt8>
    private let owned: [UInt8]?

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        borrowed = bytes
        owned = nil
    }

    init(owned bytes: [UInt8]) {
        borrowed = UnsafeBufferPointer(start: nil, count: 0)
        owned = bytes
    }

    /// The key as a string (allocates for keys longer than 15 bytes).
    var string: String {
        if let owned { return String(decoding: owned, as: UTF8.self) }
        return String(decoding: borrowed, as: UTF8.self)
    }

    /// Whether the key is exactly `literal`.
    @inline(__always)
    func matches(_ literal: StaticString) -> Bool {
        if let owned {
            return owned.withUnsafeBufferPointer { Self.equal($0, literal) }
        }
        return Self.equal(borrowed, literal)
    }

    @inline(__always)
    private static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count == count else { return false }
        let expected = literal.utf8Start
        var index = 0
        while index < count {
            if bytes[index] != expected[index] { return false }
            index += 1
        }
        return true
    }

    static func == (key: JSONKey, literal: StaticString) -> Bool { key.matches(literal) }

    static func ~= (pattern: StaticString, key: JSONKey) -> Bool { key.matches(pattern) }
}

/// UTF-8 well-formedness (Unicode Table 3-7), one sequence at a time.
enum UTF8Validation {
    /// The offset just after the well-formed multi-byte sequence starting at `index` (whose first byte
    /// is ≥ 0x80), or `nil` when the sequence is ill-formed or truncated.
    @inline(__always)
    static func endOfSequence(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        let count = bytes.count
        let lead = bytes[index]
        @inline(__always) func continuation(_ offset: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
            offset < count && bytes[offset] >= low && bytes[offset] <= high
        }
        switch lead {
        case 0xC2...0xDF:
            return continuation(index + 1) ? index + 2 : nil
        case 0xE0:
            return continuation(index + 1, 0xA0) && continuation(index + 2) ? index + 3 : nil
        case 0xE1...0xEC, 0xEE...0xEF:
            return continuation(index + 1) && continuation(index + 2) ? index + 3 : nil
        case 0xED:
            return continuation(index + 1, 0x80, 0x9F) && continuation(index + 2) ? index + 3 : nil
        case 0xF0:
            return continuation(index + 1, 0x90) && continuation(index + 2) && continuation(index + 3)
                ? index + 4 : nil
        case 0xF1...0xF3:
            return continuation(index + 1) && continuation(index + 2) && continuation(index + 3) ? index + 4 : nil
        case 0xF4:
            return continuation(index + 1, 0x80, 0x8F) && continuation(index + 2) && continuation(index + 3)
                ? index + 4 : nil
        default:
            return nil
        }
    }
}
