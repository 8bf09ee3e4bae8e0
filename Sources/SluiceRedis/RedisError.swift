/// Why a Redis command failed. Never carries a password or a command's arguments.
public struct RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The server sent bytes that are not RESP2, or a reply beyond ``RESPParser/Limits``.
        public static let protocolError = Code("protocol_error")
        /// The server answered with an error reply (`-ERR …`, `-NOSCRIPT …`, `-WRONGPASS …`).
        public static let serverError = Code("server_error")
        /// The connection could not be made, or closed with commands unanswered.
        public static let connectionFailed = Code("connection_failed")
        /// No answer within the configured time; the connection is closed.
        public static let timedOut = Code("timed_out")
        /// The configuration (a `redis://` URL) is malformed.
        public static let invalidConfiguration = Code("invalid_configuration")
        /// A reply had a shape the caller did not expect.
        public static let unexpectedReply = Code("unexpected_reply")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = String(message.prefix(512))
    }

    /// For a server error, its first word (`ERR`, `NOSCRIPT`, `WRONGPASS`, `BUSY`, …).
    public var serverErrorPrefix: Substring? {
        guard code == .serverError else { return nil }
        return message.split(separator: " ", maxSplits: 1).first
    }

    public var description: String { "\(code): \(message)" }
}
