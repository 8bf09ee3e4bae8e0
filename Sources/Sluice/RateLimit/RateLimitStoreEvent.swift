/// Something a shared ``RateLimitStore`` reports about itself: its connection, a fallback to local
/// limits, a script it had to load again.
///
/// The rate limiter passes each one that happens while a call reserves budget to the call's
/// ``ClientEventHandler``s as a ``ClientEvent/Kind/rateLimitStore`` event (``ClientEvent/reason``:
/// the kind's name; ``ClientEvent/text``: the detail), so store trouble shows up next to the call it
/// slowed. A store may also offer a callback of its own for events outside any call.
public struct RateLimitStoreEvent: Sendable, Hashable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A connection to the store was made.
        public static let connected = Kind("store_connected")
        /// A connection was made after one was lost (the store may have restarted).
        public static let reconnected = Kind("store_reconnected")
        /// A connection was lost or could not be made (``RateLimitStoreEvent/detail``: why).
        public static let connectionLost = Kind("store_connection_lost")
        /// The store failed and admission falls back to limits kept in this process.
        public static let fallbackEntered = Kind("store_fallback_entered")
        /// The store answers again and admission uses it again.
        public static let fallbackLeft = Kind("store_fallback_left")
        /// The store had forgotten a script (restarted or flushed) and it was loaded again.
        public static let scriptReloaded = Kind("store_script_reloaded")
    }

    public var kind: Kind
    /// What happened, in words (never a key or a password).
    public var detail: String?

    public init(_ kind: Kind, detail: String? = nil) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { detail.map { "\(kind): \($0)" } ?? kind.name }
}
