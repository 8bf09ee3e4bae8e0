/// What a provider's response said about a key's limits: the limits, the remaining budget, when
/// the budget is full again, and Retry-After.
///
/// Read from OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, Anthropic's
/// `anthropic-ratelimit-{requests,input-tokens,output-tokens}-{limit,remaining,reset}`, and
/// `retry-after-ms` (milliseconds) or else `retry-after` (seconds or an HTTP date), read as the retry
/// layer reads them. A dimension the headers do not mention is `nil`. Anthropic's
/// `anthropic-ratelimit-tokens-*` (the tighter of its input and output limits) is not read: the input
/// and output buckets already hold both.
///
/// Every value is hostile: a limit of zero or less or above 10¹² is ignored, and so is a remaining
/// count above the limit the same answer gives.
///
/// ```swift
/// let observation = RateLimitObservation(headers: response.headers)
/// let requests = observation?.limit.requests     // 500
/// let tokens = observation?.remaining.tokens     // 39_120
/// let retryAfter = observation?.retryAfter       // .milliseconds(1_250)
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
            get {
                switch dimension {
                case .requests: requests
                case .tokens: tokens
                case .inputTokens: inputTokens
                case .outputTokens: outputTokens
                }
            }
            set {
                switch dimension {
                case .requests: requests = newValue
                case .tokens: tokens = newValue
                case .inputTokens: inputTokens = newValue
                case .outputTokens: outputTokens = newValue
                }
            }
        }

        var isEmpty: Bool { requests == nil && tokens == nil && inputTokens == nil && outputTokens == nil }
    }

    /// The provider's per-minute limit per dimension (`x-ratelimit-limit-*`,
    /// `anthropic-ratelimit-*-limit`), in the same shape as ``remaining``.
    public var limit: Remaining
    public var remaining: Remaining
    /// How long until the exhausted limit is full again (`x-ratelimit-reset-*`,
    /// `anthropic-ratelimit-*-reset`): the latest reset among the limits with nothing left, else the
    /// latest reset given; `nil` when the headers give none.
    public var reset: Duration?
    /// How long the provider asked to wait (`retry-after-ms`, else `retry-after` in seconds or as an
    /// HTTP date); `nil` when it asked for no positive delay.
    public var retryAfter: Duration?

    public init(remaining: Remaining = Remaining(), retryAfter: Duration? = nil, limit: Remaining = Remaining(), reset: Duration? = nil) {
        self.limit = limit
        self.remaining = remaining
        self.reset = reset
        self.retryAfter = retryAfter
    }

    /// The observation in `headers`, or `nil` when they say nothing about limits. An HTTP-date
    /// `retry-after` is measured from the answer's `date` header, else the system's wall clock.
    public init?(headers: HTTPHeaders) {
        self.init(headers: headers, wallNow: RetryMiddleware.systemWallClock)
    }

    init?(headers: HTTPHeaders, wallNow: () -> Duration) {
        var remaining = Remaining()
        var limit = Remaining()
        for field in headers {
            let name = field.name.utf8
            // Cheap filter: every header read here starts with "x-" or "anthropic-".
            guard let first = name.first, first | 0x20 == UInt8(ascii: "x") || first | 0x20 == UInt8(ascii: "a")
            else { continue }
            guard let header = Self.fields.first(where: { HTTPHeaders.namesEqual(field.name, $0.name) }) else { continue }
            if header.isLimit {
                limit[header.dimension] = Self.limit(field.value)
            } else {
                remaining[header.dimension] = Self.integer(field.value)
            }
        }
        // A remaining count above the limit of the same answer is nonsense: trust neither more than
        // the other, and drop the count (the limit alone cannot lower a bucket).
        for dimension in RateLimitDimension.every {
            if let left = remaining[dimension], let most = limit[dimension], left > most { remaining[dimension] = nil }
        }
        let retryAfter = ServerHeaders.retryAfter(headers, wallNow: wallNow)?.0
        let reset = ServerHeaders.rateLimitReset(headers, wallNow: wallNow).flatMap { $0 > .zero ? $0 : nil }
        guard !remaining.isEmpty || !limit.isEmpty || retryAfter != nil || reset != nil else { return nil }
        self.init(remaining: remaining, retryAfter: retryAfter, limit: limit, reset: reset)
    }

    /// The headers read, with the dimension each gives and whether it is the limit or the remaining count.
    private static let fields: [(name: String, dimension: RateLimitDimension, isLimit: Bool)] = [
        ("x-ratelimit-remaining-requests", .requests, false),
        ("anthropic-ratelimit-requests-remaining", .requests, false),
        ("x-ratelimit-remaining-tokens", .tokens, false),
        ("anthropic-ratelimit-input-tokens-remaining", .inputTokens, false),
        ("anthropic-ratelimit-output-tokens-remaining", .outputTokens, false),
        ("x-ratelimit-limit-requests", .requests, true),
        ("anthropic-ratelimit-requests-limit", .requests, true),
        ("x-ratelimit-limit-tokens", .tokens, true),
        ("anthropic-ratelimit-input-tokens-limit", .inputTokens, true),
        ("anthropic-ratelimit-output-tokens-limit", .outputTokens, true),
    ]

    /// A remaining count: saturating, clamped to `0...WireNumber.maxCount` (see ``WireNumber``).
    private static func integer(_ text: String) -> Int? { WireNumber.count(text) }

    /// A limit: a whole number in `1...WireNumber.maxCount` (10¹²), read saturating; `nil` for
    /// anything else (zero, negative, absurdly large, a fraction, words), which is ignored.
    static func limit(_ text: String) -> Int? {
        guard let value = WireNumber.saturatingInteger(WireNumber.trimmed(text)), value > 0, value <= WireNumber.maxCount
        else { return nil }
        return value
    }
}
