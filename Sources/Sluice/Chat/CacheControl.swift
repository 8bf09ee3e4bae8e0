/// A prompt-cache breakpoint (Anthropic's `cache_control`): the prompt up to and including the marked
/// block is cached, and a later request that starts with the same prefix reads it from the cache.
///
/// Mark where a long, stable prefix ends: a system message, a message (its last block), a content
/// part, or a tool definition. Anthropic caches the prefix in the order tools, system, messages, and
/// allows at most ``maxBreakpoints`` breakpoints per request.
///
/// ```swift
/// var system = ChatMessage.system(longInstructions)
/// system.cacheControl = .ephemeral                      // 5 minutes
/// var request = ChatRequest(model: "claude-sonnet-4-5", messages: [system, .user(question)])
/// request.tools[0].cacheControl = .ephemeral(ttl: .oneHour)
/// ```
///
/// The Anthropic adapter writes `"cache_control": {"type": "ephemeral"}` (with `"ttl"` when set) on
/// the marked block, and checks the breakpoints before sending: more than ``maxBreakpoints``, or a
/// breakpoint on something that cannot carry one (an empty text part, a part index out of range, a
/// message that sends no block), throws ``SluiceError/Code/invalidRequest``. OpenAI-compatible
/// adapters do not send it: OpenAI caches long prefixes automatically and has no such field.
public struct CacheControl: Sendable, Hashable {
    /// How long a cache entry lives after its last use.
    public struct TTL: Hashable, Sendable, CustomStringConvertible {
        /// The wire value of the `ttl` field.
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Five minutes (`"5m"`), Anthropic's default.
        public static let fiveMinutes = TTL("5m")
        /// One hour (`"1h"`); writes cost more.
        public static let oneHour = TTL("1h")
    }

    /// The wire value of the `type` field: `ephemeral`, the only kind Anthropic offers.
    public var type: String
    /// The entry's lifetime; `nil` sends no `ttl` (Anthropic then uses five minutes).
    public var ttl: TTL?

    public init(type: String = "ephemeral", ttl: TTL? = nil) {
        self.type = type
        self.ttl = ttl
    }

    /// An ephemeral breakpoint with the provider's default lifetime (five minutes).
    public static let ephemeral = CacheControl()

    /// An ephemeral breakpoint with the lifetime `ttl`.
    public static func ephemeral(ttl: TTL) -> CacheControl {
        CacheControl(ttl: ttl)
    }

    /// The most breakpoints Anthropic accepts in one request (tools, system and messages together).
    public static let maxBreakpoints = 4

    /// `{"type": "ephemeral"}`, with `"ttl"` when set.
    var json: JSONValue {
        var object: JSONObject = ["type": .string(type)]
        if let ttl { object["ttl"] = .string(ttl.rawValue) }
        return .object(object)
    }
}
