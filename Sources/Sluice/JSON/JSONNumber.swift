/// A JSON number, kept as its literal text so that nothing is lost: a 64-bit integer, a token count
/// past 2^53 or a decimal like `0.10` reads back exactly as it was written.
///
/// Read it as the Swift type you need:
///
/// ```swift
/// let tokens: JSONNumber = 1024
/// let count = tokens.intValue        // 1024
/// let fraction = tokens.doubleValue  // 1024.0
/// ```
///
/// Two numbers are equal when their literal text is equal, so `1` and `1.0` differ; compare
/// ``intValue`` or ``doubleValue`` for numeric equality.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral
{
    /// The number as JSON text, for example `-12`, `0.5` or `1e-7`. Always valid RFC 8259 syntax.
    public let text: String

    /// A number with the given JSON text, or `nil` when the text is not an RFC 8259 number
    /// (no leading `+`, no leading zeros, no `NaN` or `Infinity`).
    public init?(text: String) {
        var text = text
        let valid = text.withUTF8 { bytes in
            guard let end = JSONNumber.scan(bytes, from: 0) else { return false }
            return end.end == bytes.count
        }
        guard valid else { return nil }
        self.text = text
    }

    /// Text already known to be valid.
    init(validatedText: String) {
        self.text = validatedText
    }

    public init(_ value: Int) { text = String(value) }
    public init(_ value: Int64) { text = String(value) }
    public init(_ value: UInt64) { text = String(value) }

    /// The number for a finite `Double`, in Swift's shortest round-tripping form (`0.1`, `1.0`,
    /// `1e-07`); `nil` for NaN or infinity.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        text = value.description
    }

    public init(integerLiteral value: Int) { self.init(value) }

    public init(floatLiteral value: Double) {
        // A literal is always finite.
        self.text = value.isFinite ? value.description : "0"
    }

    /// The value as an `Int` when it is an integer that fits (`3`, `3.0` and `3e0` all give 3), else `nil`.
    public var intValue: Int? {
        var text = text
        return text.withUTF8 { bytes -> Int? in
            guard let scanned = JSONNumber.scan(bytes, from: 0) else { return nil }
            if scanned.isInteger, let value = JSONNumber.parseInteger(bytes, scanned.start, scanned.end) {
                return value
            }
            return Int(exactly: doubleValue)
        }
    }

    /// The value as a `Double` (the nearest one, for text with more precision than a `Double` holds).
    public var doubleValue: Double {
        Double(text) ?? .nan
    }

    public var description: String { text }

    // MARK: Scanning

    /// Where a number that starts at `start` ends, and whether it is written as an integer; `nil` when
    /// the bytes at `start` are not a valid number.
    @inline(__always)
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> (start: Int, end: Int, isInteger: Bool)? {
        let count = bytes.count
        var index = start
        if index < count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < count else { return nil }
        let first = bytes[index]
        if first == UInt8(ascii: "0") {
            index += 1
        } else if first >= UInt8(ascii: "1"), first <= UInt8(ascii: "9") {
            index += 1
            while index < count, isDigit(bytes[index]) { index += 1 }
        } else {
            return nil
        }
        var isInteger = true
        if index < count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < count, isDigit(bytes[index]) else { return nil }
            while index < count, isDigit(bytes[index]) { index += 1 }
            isInteger = false
        }
        if index < count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < count, isDigit(bytes[index]) else { return nil }
            while index < count, isDigit(bytes[index]) { index += 1 }
            isInteger = false
        }
        return (start, index, isInteger)
    }

    /// Parses integer text (already scanned) into an `Int`, `nil` on overflow.
    @inline(__always)
    static func parseInteger(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        var index = start
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        // Up to 18 digits cannot overflow.
        if end - index <= 18 {
            var value = 0
            while index < end {
                value = value &* 10 &+ Int(bytes[index] &- 0x30)
                index += 1
            }
            return negative ? -value : value
        }
        var value = 0
        while index < end {
            let digit = Int(bytes[index] &- 0x30)
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) =
                negative ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = next
            index += 1
        }
        return value
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }
}
