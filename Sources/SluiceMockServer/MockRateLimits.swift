/// Per-key request and token limits, enforced the way OpenAI does: token buckets refilled continuously.
///
/// Each dimension is a bucket holding at most its capacity (``requestBurst`` / ``tokenBurst``,
/// defaulting to the per-minute limit), refilled at `limit / 60` per second. A request is admitted
/// when the request bucket holds at least 1 and the token bucket holds at least the request's cost
/// (see ``MockTokenEstimator/admissionCost(promptTokens:maxTokens:replyTokens:)``); both are then
/// debited. Otherwise the server answers 429 with `retry-after` set to the time until the bucket
/// holds enough. A request whose cost exceeds the token bucket's capacity can never be admitted and
/// is answered 429 "Request too large" with `x-should-retry: false` and no `retry-after`.
///
/// `nil` disables a dimension: no bucket, and no `x-ratelimit-*` headers for it.
///
/// ```swift
/// let limits = MockRateLimits(requestsPerMinute: 60, tokensPerMinute: 40_000)
/// let bursty = MockRateLimits(requestsPerMinute: 600, requestBurst: 20)
/// ```
public struct MockRateLimits: Sendable, Hashable, Codable {
    /// Requests per minute (`x-ratelimit-limit-requests`); `nil` for no request limit.
    public var requestsPerMinute: Int?
    /// Tokens per minute (`x-ratelimit-limit-tokens`); `nil` for no token limit.
    public var tokensPerMinute: Int?
    /// Capacity of the request bucket; `nil` means ``requestsPerMinute``.
    public var requestBurst: Int?
    /// Capacity of the token bucket; `nil` means ``tokensPerMinute``.
    public var tokenBurst: Int?

    /// Creates limits. Values must be positive.
    public init(
        requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil, requestBurst: Int? = nil, tokenBurst: Int? = nil
    ) {
        precondition(requestsPerMinute.map { $0 > 0 } ?? true, "requestsPerMinute must be positive")
        precondition(tokensPerMinute.map { $0 > 0 } ?? true, "tokensPerMinute must be positive")
        precondition(requestBurst.map { $0 > 0 } ?? true, "requestBurst must be positive")
        precondition(tokenBurst.map { $0 > 0 } ?? true, "tokenBurst must be positive")
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.requestBurst = requestBurst
        self.tokenBurst = tokenBurst
    }

    /// No limits at all.
    public static let unlimited = MockRateLimits()
}
