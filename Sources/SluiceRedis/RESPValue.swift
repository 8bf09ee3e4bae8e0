/// One reply of the Redis serialization protocol (RESP2): what a Redis server answers a command with.
///
/// ```swift
/// let reply = try await connection.send(["GET", "greeting"])
/// if case .bulkString(let bytes?) = reply { print(String(decoding: bytes, as: UTF8.self)) }
/// ```
public enum RESPValue: Sendable, Hashable {
    /// `+OK`: a short status line.
    case simpleString(String)
    /// `-ERR …`: the server refused the command (the text, prefix included, as sent).
    case error(String)
    /// `:42`.
    case integer(Int64)
    /// `$n` then n bytes; `nil` for the null bulk string (`$-1`).
    case bulkString([UInt8]?)
    /// `*n` then n values; `nil` for the null array (`*-1`).
    case array([RESPValue]?)

    /// The text of a simple or bulk string, or `nil` for any other reply.
    public var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes?): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    /// The number of an integer reply, or of a bulk string holding a decimal integer.
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .bulkString(let bytes?): Int64(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    /// The elements of an array reply, or `nil` for any other reply.
    public var array: [RESPValue]? {
        if case .array(let elements?) = self { return elements }
        return nil
    }
}
