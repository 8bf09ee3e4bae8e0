/// Reads RESP2 replies from bytes as they arrive, one complete reply at a time.
///
/// Every byte from the server is hostile: lengths are parsed without trapping and bounded by
/// ``Limits``, nesting is bounded, and anything that is not RESP2 is a ``RedisError`` with code
/// `protocolError`, after which the connection must be closed (the stream cannot be resynchronised).
///
/// ```swift
/// var parser = RESPParser()
/// parser.append(bytes)
/// while let reply = try parser.next() { handle(reply) }
/// ```
public struct RESPParser: Sendable {
    /// Bounds on what one reply may hold.
    public struct Limits: Sendable, Hashable {
        /// The longest bulk string (Redis's own cap is 512 MiB; the scripts here return a few bytes).
        public var maxBulkLength: Int
        /// The most elements of one array.
        public var maxArrayCount: Int
        /// The deepest nesting of arrays.
        public var maxDepth: Int
        /// The longest status, error or length line.
        public var maxLineLength: Int

        public init(maxBulkLength: Int = 16 << 20, maxArrayCount: Int = 1 << 20, maxDepth: Int = 32, maxLineLength: Int = 64 << 10) {
            self.maxBulkLength = max(0, maxBulkLength)
            self.maxArrayCount = max(0, maxArrayCount)
            self.maxDepth = max(1, maxDepth)
            self.maxLineLength = max(16, maxLineLength)
        }
    }

    public let limits: Limits
    private var bytes: [UInt8] = []
    private var start = 0

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Adds bytes read from the connection.
    public mutating func append<Bytes: Sequence>(_ more: Bytes) where Bytes.Element == UInt8 {
        if start > 4096, start * 2 > bytes.count {
            bytes.removeFirst(start)
            start = 0
        }
        bytes.append(contentsOf: more)
    }

    /// How many bytes wait to be parsed.
    public var buffered: Int { bytes.count - start }

    /// The next complete reply, or `nil` when more bytes are needed.
    public mutating func next() throws(RedisError) -> RESPValue? {
        var cursor = start
        guard let value = try parse(&cursor, depth: 0) else { return nil }
        start = cursor
        return value
    }

    private func parse(_ cursor: inout Int, depth: Int) throws(RedisError) -> RESPValue? {
        guard cursor < bytes.count else { return nil }
        let kind = bytes[cursor]
        var position = cursor + 1
        guard let line = try line(&position) else { return nil }
        switch kind {
        case UInt8(ascii: "+"):
            cursor = position
            return .simpleString(String(decoding: bytes[line], as: UTF8.self))
        case UInt8(ascii: "-"):
            cursor = position
            return .error(String(decoding: bytes[line], as: UTF8.self))
        case UInt8(ascii: ":"):
            guard let value = Self.integer(bytes[line]) else { throw RedisError(.protocolError, "an integer reply is not a number") }
            cursor = position
            return .integer(value)
        case UInt8(ascii: "$"):
            guard let length = Self.integer(bytes[line]), length >= -1 else {
                throw RedisError(.protocolError, "a bulk string length is not a number")
            }
            if length == -1 {
                cursor = position
                return .bulkString(nil)
            }
            guard length <= limits.maxBulkLength else {
                throw RedisError(.protocolError, "a bulk string of \(length) bytes exceeds the limit of \(limits.maxBulkLength)")
            }
            let count = Int(length)
            guard bytes.count - position >= count + 2 else { return nil }
            guard bytes[position + count] == UInt8(ascii: "\r"), bytes[position + count + 1] == UInt8(ascii: "\n") else {
                throw RedisError(.protocolError, "a bulk string does not end with CRLF")
            }
            cursor = position + count + 2
            return .bulkString(Array(bytes[position..<(position + count)]))
        case UInt8(ascii: "*"):
            guard let count = Self.integer(bytes[line]), count >= -1 else {
                throw RedisError(.protocolError, "an array length is not a number")
            }
            if count == -1 {
                cursor = position
                return .array(nil)
            }
            guard count <= limits.maxArrayCount else {
                throw RedisError(.protocolError, "an array of \(count) elements exceeds the limit of \(limits.maxArrayCount)")
            }
            guard depth + 1 < limits.maxDepth else { throw RedisError(.protocolError, "arrays nest deeper than \(limits.maxDepth)") }
            var elements: [RESPValue] = []
            elements.reserveCapacity(Swift.min(Int(count), 1024))
            for _ in 0..<Int(count) {
                guard let element = try parse(&position, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            cursor = position
            return .array(elements)
        default:
            throw RedisError(.protocolError, "a reply starts with byte \(kind), not one of + - : $ *")
        }
    }

    /// The range of the line at `position` (without CRLF), moving `position` past it; `nil` when
    /// the line is not complete yet.
    private func line(_ position: inout Int) throws(RedisError) -> Range<Int>? {
        let lineStart = position
        var index = position
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "\r") {
                guard bytes[index + 1] == UInt8(ascii: "\n") else { throw RedisError(.protocolError, "a CR without LF") }
                position = index + 2
                return lineStart..<index
            }
            index += 1
            if index - lineStart > limits.maxLineLength {
                throw RedisError(.protocolError, "a line longer than \(limits.maxLineLength) bytes")
            }
        }
        if bytes.count - lineStart > limits.maxLineLength {
            throw RedisError(.protocolError, "a line longer than \(limits.maxLineLength) bytes")
        }
        return nil
    }

    /// A decimal integer, at most 19 digits (so it cannot overflow), with an optional minus sign.
    static func integer(_ digits: ArraySlice<UInt8>) -> Int64? {
        var slice = digits[...]
        var negative = false
        if slice.first == UInt8(ascii: "-") {
            negative = true
            slice = slice.dropFirst()
        }
        guard !slice.isEmpty, slice.count <= 18 else { return nil }
        var value: Int64 = 0
        for byte in slice {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return negative ? -value : value
    }
}
