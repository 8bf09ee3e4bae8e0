/// Writes compact JSON (no whitespace) as UTF-8 bytes.
///
/// Strings are escaped as RFC 8259 requires: `"` and `\` with a backslash, `\n`, `\r`, `\t`, `\b` and
/// `\f` in their short forms, every other control character below U+0020 as `\u00XX`. Everything else,
/// non-ASCII included, is written as UTF-8 as it is.
///
/// ```swift
/// var writer = JSONWriter()
/// writer.write(value)
/// send(writer.bytes)
/// ```
struct JSONWriter {
    /// The bytes written so far.
    var bytes: [UInt8]

    init(reservingCapacity capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: writeNull()
        case .bool(let bool): write(bool)
        case .number(let number): write(number)
        case .string(let string): write(string)
        case .array(let elements):
            writeArray(elements) { $0.write($1) }
        case .object(let object):
            bytes.append(UInt8(ascii: "{"))
            var first = true
            for (key, value) in object {
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                write(key)
                bytes.append(UInt8(ascii: ":"))
                write(value)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    mutating func writeNull() {
        bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])  // null
    }

    mutating func write(_ value: Bool) {
        if value {
            bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65])  // true
        } else {
            bytes.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])  // false
        }
    }

    mutating func write(_ value: JSONNumber) {
        bytes.append(contentsOf: value.text.utf8)
    }

    mutating func write(_ value: Int) {
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Writes a string literal, quoted and escaped.
    mutating func write(_ value: String) {
        var value = value
        value.withUTF8 { writeEscaped($0) }
    }

    private mutating func writeEscaped(_ source: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        var runStart = 0
        var index = 0
        let count = source.count
        while index < count {
            let byte = source[index]
            if byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            if runStart < index {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[runStart..<index]))
            }
            bytes.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
            case 0x0A: bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            case 0x08: bytes.append(UInt8(ascii: "b"))
            case 0x0C: bytes.append(UInt8(ascii: "f"))
            default:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            }
            index += 1
            runStart = index
        }
        if runStart < count {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[runStart..<count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// Writes one JSON object member by member, straight to bytes: no ``JSONObject`` is built. Get one
/// from ``JSONWriter/writeObject(overriddenBy:_:)``.
///
/// `overrides` (a request's `extraFields`) act as setting them on the object would: one whose key a
/// member has is written in that member's place instead of its value, the others at the end in
/// their own order.
struct JSONObjectWriter {
    fileprivate var writer: JSONWriter
    private let overrides: JSONObject
    /// Which of `overrides` a member has written in place (empty when there are none).
    private var written: [Bool]
    private var first = true

    /// Takes `writer`'s bytes (leaving it empty, so they stay uniquely held) and opens the object.
    fileprivate init(taking writer: inout JSONWriter, overrides: JSONObject) {
        self.writer = JSONWriter(reservingCapacity: 0)
        swap(&self.writer, &writer)
        self.writer.bytes.append(UInt8(ascii: "{"))
        self.overrides = overrides
        written = overrides.isEmpty ? [] : Array(repeating: false, count: overrides.count)
    }

    /// Writes `key` with `value`, or with the override of the same key.
    mutating func member(_ key: String, _ value: JSONValue) {
        member(key) { $0.write(value) }
    }

    /// Writes `key` and the value `writeValue` writes, or the override of the same key instead.
    mutating func member(_ key: String, _ writeValue: (inout JSONWriter) throws -> Void) rethrows {
        if !first { writer.bytes.append(UInt8(ascii: ",")) }
        first = false
        writer.write(key)
        writer.bytes.append(UInt8(ascii: ":"))
        if !overrides.isEmpty, let index = overrides.index(forKey: key) {
            written[index] = true
            writer.write(overrides[index].value)
        } else {
            try writeValue(&writer)
        }
    }

    /// Writes the overrides no member had, closes the object and hands the bytes back to `writer`.
    fileprivate mutating func close(into writer: inout JSONWriter) {
        for (index, (key, value)) in overrides.enumerated() where !written[index] {
            member(key, value)
        }
        self.writer.bytes.append(UInt8(ascii: "}"))
        swap(&self.writer, &writer)
    }
}

extension JSONWriter {
    /// Writes an object whose members `members` writes, in its order; `overrides` replace members
    /// of the same key in place and the rest follow them (see ``JSONObjectWriter``).
    mutating func writeObject(
        overriddenBy overrides: JSONObject = JSONObject(), _ members: (inout JSONObjectWriter) throws -> Void
    ) rethrows {
        var object = JSONObjectWriter(taking: &self, overrides: overrides)
        // On a throw the bytes come back too (the caller drops them).
        defer { object.close(into: &self) }
        try members(&object)
    }

    /// Writes an array of `elements`, each as `writeElement` writes it.
    mutating func writeArray<Elements: Sequence>(
        _ elements: Elements, _ writeElement: (inout JSONWriter, Elements.Element) throws -> Void
    ) rethrows {
        bytes.append(UInt8(ascii: "["))
        var first = true
        for element in elements {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            try writeElement(&self, element)
        }
        bytes.append(UInt8(ascii: "]"))
    }
}
