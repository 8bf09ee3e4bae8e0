/// A JSON value that remembers where it starts in its text (line and column, from 1), so that a
/// script's errors can point at the offending value. `JSONDecoder` does not keep positions.
struct MockPositionedJSON {
    indirect enum Value {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([MockPositionedJSON])
        /// Members in text order (a repeated name is refused while parsing).
        case object([(name: String, value: MockPositionedJSON)])
    }

    var value: Value
    var line: Int
    var column: Int

    /// The value as ``MockJSON`` (positions dropped).
    var plain: MockJSON {
        switch self.value {
        case .null: .null
        case .bool(let value): .bool(value)
        case .number(let value): .number(value)
        case .string(let value): .string(value)
        case .array(let values): .array(values.map(\.plain))
        case .object(let members):
            .object(Dictionary(members.map { ($0.name, $0.value.plain) }, uniquingKeysWith: { first, _ in first }))
        }
    }

    /// The largest text parsed (scripts are small; this bounds the work on a hostile file).
    static let maxBytes = 4 * 1024 * 1024
    /// The deepest nesting of arrays and objects accepted.
    static let maxDepth = 64

    /// Parses one JSON document, or throws with the position of the first problem.
    static func parse(_ bytes: [UInt8]) throws(MockScriptError) -> MockPositionedJSON {
        guard bytes.count <= Self.maxBytes else {
            throw MockScriptError(line: 1, column: 1, reason: "the script is larger than \(Self.maxBytes) bytes")
        }
        var parser = Parser(bytes: bytes)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        if parser.index < bytes.count { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        var line = 1
        /// The column counted up to `countedUpTo` (the index only grows, so counting is linear).
        var countedColumn = 1
        var countedUpTo = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        /// The column of `index`, counting Unicode scalars (UTF-8 continuation bytes do not count).
        mutating func column() -> Int {
            while self.countedUpTo < self.index && self.countedUpTo < self.bytes.count {
                if self.bytes[self.countedUpTo] & 0xC0 != 0x80 { self.countedColumn += 1 }
                self.countedUpTo += 1
            }
            return self.countedColumn
        }

        mutating func error(_ reason: String) -> MockScriptError {
            MockScriptError(line: self.line, column: self.column(), reason: reason)
        }

        var current: UInt8? { self.index < self.bytes.count ? self.bytes[self.index] : nil }

        mutating func skipSpace() {
            while let byte = self.current {
                switch byte {
                case 0x0A:
                    self.index += 1
                    self.line += 1
                    (self.countedColumn, self.countedUpTo) = (1, self.index)
                case 0x20, 0x09, 0x0D:
                    self.index += 1
                default:
                    return
                }
            }
        }

        mutating func value(depth: Int) throws(MockScriptError) -> MockPositionedJSON {
            let (line, column) = (self.line, self.column())
            func at(_ value: Value) -> MockPositionedJSON {
                MockPositionedJSON(value: value, line: line, column: column)
            }
            guard let byte = self.current else { throw self.error("unexpected end of the JSON text") }
            switch byte {
            case UInt8(ascii: "{"):
                guard depth < MockPositionedJSON.maxDepth else { throw self.error("nesting deeper than 64") }
                self.index += 1
                var members: [(name: String, value: MockPositionedJSON)] = []
                var names: Set<String> = []
                self.skipSpace()
                if self.current == UInt8(ascii: "}") {
                    self.index += 1
                    return at(.object(members))
                }
                while true {
                    self.skipSpace()
                    guard self.current == UInt8(ascii: "\"") else {
                        throw self.error("expected a member name in quotes")
                    }
                    let nameError = self.error("")
                    let name = try self.string()
                    if !names.insert(name).inserted {
                        throw MockScriptError(
                            line: nameError.line, column: nameError.column, reason: "duplicate member '\(name)'")
                    }
                    self.skipSpace()
                    guard self.current == UInt8(ascii: ":") else {
                        throw self.error("expected ':' after a member name")
                    }
                    self.index += 1
                    self.skipSpace()
                    members.append((name, try self.value(depth: depth + 1)))
                    self.skipSpace()
                    if self.current == UInt8(ascii: ",") {
                        self.index += 1
                        continue
                    }
                    guard self.current == UInt8(ascii: "}") else {
                        throw self.error("expected ',' or '}' in an object")
                    }
                    self.index += 1
                    return at(.object(members))
                }
            case UInt8(ascii: "["):
                guard depth < MockPositionedJSON.maxDepth else { throw self.error("nesting deeper than 64") }
                self.index += 1
                var values: [MockPositionedJSON] = []
                self.skipSpace()
                if self.current == UInt8(ascii: "]") {
                    self.index += 1
                    return at(.array(values))
                }
                while true {
                    self.skipSpace()
                    values.append(try self.value(depth: depth + 1))
                    self.skipSpace()
                    if self.current == UInt8(ascii: ",") {
                        self.index += 1
                        continue
                    }
                    guard self.current == UInt8(ascii: "]") else { throw self.error("expected ',' or ']' in an array") }
                    self.index += 1
                    return at(.array(values))
                }
            case UInt8(ascii: "\""):
                return at(.string(try self.string()))
            case UInt8(ascii: "t"):
                try self.literal("true")
                return at(.bool(true))
            case UInt8(ascii: "f"):
                try self.literal("false")
                return at(.bool(false))
            case UInt8(ascii: "n"):
                try self.literal("null")
                return at(.null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return at(.number(try self.number()))
            default:
                throw self.error("unexpected character in JSON")
            }
        }

        mutating func literal(_ word: String) throws(MockScriptError) {
            let expected = Array(word.utf8)
            guard self.index + expected.count <= self.bytes.count,
                Array(self.bytes[self.index..<self.index + expected.count]) == expected
            else { throw self.error("unexpected character in JSON") }
            self.index += expected.count
        }

        mutating func number() throws(MockScriptError) -> Double {
            let start = self.index
            while let byte = self.current,
                byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
                    || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            {
                self.index += 1
            }
            let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
            guard let value = Double(text), value.isFinite else {
                self.index = start
                throw self.error("invalid number '\(text.prefix(40))'")
            }
            return value
        }

        mutating func string() throws(MockScriptError) -> String {
            self.index += 1  // the opening quote
            var scalars = String.UnicodeScalarView()
            var start = self.index
            func flush(_ parser: Parser, upTo end: Int) {
                scalars.append(contentsOf: String(decoding: parser.bytes[start..<end], as: UTF8.self).unicodeScalars)
            }
            while let byte = self.current {
                switch byte {
                case UInt8(ascii: "\""):
                    flush(self, upTo: self.index)
                    self.index += 1
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    flush(self, upTo: self.index)
                    self.index += 1
                    guard let escape = self.current else { break }
                    self.index += 1
                    switch escape {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0C}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        var code = try self.hex4()
                        if (0xD800..<0xDC00).contains(code), self.current == UInt8(ascii: "\\"),
                            self.index + 1 < self.bytes.count, self.bytes[self.index + 1] == UInt8(ascii: "u")
                        {
                            self.index += 2
                            let low = try self.hex4()
                            if (0xDC00..<0xE000).contains(low) {
                                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                            }
                        }
                        scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                    default:
                        self.index -= 2
                        throw self.error("invalid escape in a string")
                    }
                    start = self.index
                case 0x00..<0x20:
                    throw self.error("control character in a string")
                default:
                    self.index += 1
                }
            }
            throw self.error("unterminated string")
        }

        mutating func hex4() throws(MockScriptError) -> UInt32 {
            guard self.index + 4 <= self.bytes.count,
                let code = UInt32(String(decoding: self.bytes[self.index..<self.index + 4], as: UTF8.self), radix: 16)
            else { throw self.error("invalid \\u escape") }
            self.index += 4
            return code
        }
    }
}
