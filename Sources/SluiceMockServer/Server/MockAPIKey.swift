/// An API key the mock server knows, with a name for stats and its own rate limits.
///
/// Configure keys when a test needs per-key limits or wants stats under a readable name.
/// The secret is what a client sends (`Authorization: Bearer <secret>`); the server never writes
/// it to a response, a log line or the stats, which use ``name`` instead.
///
/// ```swift
/// let key = MockAPIKey(name: "tenant-a", secret: "sk-test-a",
///                      limits: MockRateLimits(requestsPerMinute: 60, tokensPerMinute: 10_000))
/// ```
///
/// Its description, debug description and mirror (`dump`) show the name and limits, never the secret.
public struct MockAPIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The name stats and scripted outcomes use for this key.
    public var name: String
    /// The bearer token a client sends.
    public var secret: String
    /// The limits enforced for this key.
    public var limits: MockRateLimits

    /// Creates a key.
    public init(name: String, secret: String, limits: MockRateLimits = .unlimited) {
        self.name = name
        self.secret = secret
        self.limits = limits
    }

    public var description: String { "MockAPIKey(\(name), secret: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["name": name, "secret": "<redacted>", "limits": limits], displayStyle: .struct)
    }

    /// The stats name of a key the server does not know (when unknown keys are accepted).
    ///
    /// It is `"key-"` followed by 8 lowercase hex digits folded from the 64-bit FNV-1a hash of the
    /// secret: stable across runs, short, and not reversible to the secret. Use it to read an
    /// unknown key's entry in ``MockServerStats/keys`` or to script outcomes for it.
    ///
    /// ```swift
    /// let id = MockAPIKey.anonymousName(forSecret: "sk-whatever")  // "key-1a2b3c4d"
    /// ```
    public static func anonymousName(forSecret secret: String) -> String {
        let hash = FNV1a.hash(secret.utf8)
        let folded = UInt32(truncatingIfNeeded: hash >> 32) ^ UInt32(truncatingIfNeeded: hash)
        let hex = String(folded, radix: 16)
        return "key-" + String(repeating: "0", count: 8 - hex.count) + hex
    }
}
