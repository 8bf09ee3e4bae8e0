/// What a provider's response said about a key's limits: remaining budget and Retry-After.
///
/// Read from OpenAI's `x-ratelimit-remaining-{requests,tokens}`, Anthropic's
/// `anthropic-ratelimit-{requests,input-tokens,output-tokens}-remaining`, and `retry-after-ms`
/// (milliseconds) or else `retry-after` (seconds or an HTTP date), read as the retry layer reads
/// them. A dimension the headers do not mention is `nil`.
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

        package subscript(dimension: RateLimitDimension) -> Int? {
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
    /// How long the provider asked to wait (`retry-after-ms`, else `retry-after` in seconds or as an
    /// HTTP date); `nil` when it asked for no positive delay.
    public var retryAfter: Duration?

    public init(remaining: Remaining = Remaining(), retryAfter: Duration? = nil) {
        self.remaining = remaining
        self.retryAfter = retryAfter
    }

    /// The observation in `headers`, or `nil` when they say nothing about limits. An HTTP-date
    /// `retry-after` is measured from the answer's `date` header, else the system's wall clock.
    public init?(headers: HTTPHeaders) {
        self.init(headers: headers, wallNow: RetryMiddleware.systemWallClock)
    }

    init?(headers: HTTPHeaders, wallNow: () -> Duration) {
        var remaining = Remaining()
        for field in headers {
            let name = field.name.utf8
            // Cheap filter: every header read here starts with "x-" or "anthropic-".
            guard let first = name.first, first | 0x20 == UInt8(ascii: "x") || first | 0x20 == UInt8(ascii: "a")
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
            }
        }
        let retryAfter = ServerHeaders.retryAfter(headers, wallNow: wallNow)?.0
        guard !remaining.isEmpty || retryAfter != nil else { return nil }
        self.init(remaining: remaining, retryAfter: retryAfter)
    }

    /// A remaining count: saturating, clamped to `0...WireNumber.maxCount` (see ``WireNumber``).
    private static func integer(_ text: String) -> Int? { WireNumber.count(text) }
}
