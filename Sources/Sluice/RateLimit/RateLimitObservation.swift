/// What a provider's response said about a key's limits: remaining budget and Retry-After.
///
/// Read from OpenAI's `x-ratelimit-remaining-{requests,tokens}`, Anthropic's
/// `anthropic-ratelimit-{requests,input-tokens,output-tokens}-remaining`, and `retry-after-ms`
/// (milliseconds) or else `retry-after` (seconds). A dimension the headers do not mention is `nil`.
///
/// ```swift
/// let observation = RateLimitObservation(headers: response.headers)
/// observation?.remaining.tokens   // 39_120
/// observation?.retryAfter         // .milliseconds(1_250)
/// ```
public struct RateLimitObservation: Sendable, Hashable {
    /// The provider's remaining budget per dimension, as of when it admitted the request.
    public struct Remaining: Sendable, Hashable {
        public var requests: Int?
        public var tokens: Int?
        public var inputTokens: Int?
        public var outputTokens: Int?

        public init(requests: Int? = nil, tokens: Int? = nil, inputTokens: Int? = nil, outputTokens: Int? = nil) {
            self.requests = requests
            self.tokens = tokens
            self.inputTokens = inputTokens
            self.outputTokens = outputTokens
        }

        subscript(dimension: RateLimitDimension) -> Int? {
            switch dimension {
            case .requests: requests
            case .tokens: tokens
            case .inputTokens: inputTokens
            case .outputTokens: outputTokens
            }
        }

        var isEmpty: Bool { requests == nil && tokens == nil && inputTokens == nil && outputTokens == nil }
    }

    public var remaining: Remaining
    /// How long the provider asked to wait (`retry-after-ms`, else `retry-after` in seconds).
    public var retryAfter: Duration?

    public init(remaining: Remaining = Remaining(), retryAfter: Duration? = nil) {
        self.remaining = remaining
        self.retryAfter = retryAfter
    }

    /// The observation in `headers`, or `nil` when they say nothing about limits.
    public init?(headers: HTTPHeaders) {
        var remaining = Remaining()
        var retryAfterMilliseconds: Double?
        var retryAfterSeconds: Double?
        for field in headers {
            let name = field.name.utf8
            // Cheap filter: every header read here starts with "x-", "anthropic-" or "retry-".
            guard let first = name.first, first | 0x20 == UInt8(ascii: "x") || first | 0x20 == UInt8(ascii: "a")
                || first | 0x20 == UInt8(ascii: "r")
            else { continue }
            let value = field.value
            if HTTPHeaders.namesEqual(field.name, "x-ratelimit-remaining-requests")
                || HTTPHeaders.namesEqual(field.name, "anthropic-ratelimit-requests-remaining")
            {
                remaining.requests = Self.integer(value)
            } else if HTTPHeaders.namesEqual(field.name, "x-ratelimit-remaining-tokens") {
                remaining.tokens = Self.integer(value)
            } else if HTTPHeaders.namesEqual(field.name, "anthropic-ratelimit-input-tokens-remaining") {
                remaining.inputTokens = Self.integer(value)
            } else if HTTPHeaders.namesEqual(field.name, "anthropic-ratelimit-output-tokens-remaining") {
                remaining.outputTokens = Self.integer(value)
            } else if HTTPHeaders.namesEqual(field.name, "retry-after-ms") {
                retryAfterMilliseconds = Self.number(value)
            } else if HTTPHeaders.namesEqual(field.name, "retry-after") {
                retryAfterSeconds = Self.number(value)
            }
        }
        let retryAfter = retryAfterMilliseconds.flatMap { WireNumber.duration(seconds: $0 / 1000) }
            ?? retryAfterSeconds.flatMap { WireNumber.duration(seconds: $0) }
        guard !remaining.isEmpty || retryAfter != nil else { return nil }
        self.init(remaining: remaining, retryAfter: retryAfter)
    }

    /// A remaining count: saturating, clamped to `0...WireNumber.maxCount` (see ``WireNumber``).
    private static func integer(_ text: String) -> Int? { WireNumber.count(text) }

    private static func number(_ text: String) -> Double? {
        guard let value = WireNumber.finiteDouble(WireNumber.trimmed(text)), value >= 0 else { return nil }
        return value
    }
}
