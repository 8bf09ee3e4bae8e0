/// Per-key request and token limits, enforced the way the providers do: token buckets refilled continuously.
///
/// Each dimension is a bucket holding at most its capacity (the `…Burst` value, defaulting to the
/// per-minute limit), refilled at `limit / 60` per second. `nil` disables a dimension: no bucket,
/// and no rate-limit headers for it.
///
/// Which buckets a request spends depends on the route:
///
/// | Route | Buckets charged at admission |
/// |---|---|
/// | OpenAI (`/v1/chat/completions`, `/v1/embeddings`) | 1 from ``requestsPerMinute``; the request's cost (``MockTokenEstimator/admissionCost(promptTokens:maxTokens:replyTokens:)``) from ``tokensPerMinute`` |
/// | Anthropic (`/v1/messages`) | 1 from ``requestsPerMinute``; the input estimate from ``inputTokensPerMinute``; `max_tokens` from ``outputTokensPerMinute`` |
///
/// A key has one request bucket, shared by both routes. ``tokensPerMinute`` only applies to the
/// OpenAI routes and ``inputTokensPerMinute`` / ``outputTokensPerMinute`` only to the Anthropic
/// route, so limits set for one provider never change the other's behaviour.
///
/// A request is admitted when every bucket it spends holds enough; all of them are then debited.
/// Otherwise the server answers 429 with `retry-after` set to the time until the bucket holds
/// enough. A request whose cost exceeds a token bucket's capacity can never be admitted and is
/// answered 429 with `x-should-retry: false` and no `retry-after`.
///
/// Output tokens are reserved, then reconciled, as Anthropic does: admission debits `max_tokens`
/// from the output bucket, and when the response ends (completed, failed or cut short) the
/// difference between `max_tokens` and the output tokens actually sent is credited back (or, for
/// a tool call longer than `max_tokens`, debited).
///
/// ```swift
/// let openAI = MockRateLimits(requestsPerMinute: 60, tokensPerMinute: 40_000)
/// let bursty = MockRateLimits(requestsPerMinute: 600, requestBurst: 20)
/// let anthropic = MockRateLimits(requestsPerMinute: 50, inputTokensPerMinute: 30_000, outputTokensPerMinute: 8_000)
/// ```
public struct MockRateLimits: Sendable, Hashable, Codable {
    /// Requests per minute (`x-ratelimit-limit-requests`, `anthropic-ratelimit-requests-limit`);
    /// `nil` for no request limit.
    public var requestsPerMinute: Int?
    /// Tokens per minute on the OpenAI routes (`x-ratelimit-limit-tokens`); `nil` for no token limit.
    public var tokensPerMinute: Int?
    /// Capacity of the request bucket; `nil` means ``requestsPerMinute``.
    public var requestBurst: Int?
    /// Capacity of the token bucket; `nil` means ``tokensPerMinute``.
    public var tokenBurst: Int?
    /// Input tokens per minute on the Anthropic route (`anthropic-ratelimit-input-tokens-limit`);
    /// `nil` for no input limit.
    public var inputTokensPerMinute: Int?
    /// Output tokens per minute on the Anthropic route (`anthropic-ratelimit-output-tokens-limit`);
    /// `nil` for no output limit.
    public var outputTokensPerMinute: Int?
    /// Capacity of the input-token bucket; `nil` means ``inputTokensPerMinute``.
    public var inputTokenBurst: Int?
    /// Capacity of the output-token bucket; `nil` means ``outputTokensPerMinute``.
    public var outputTokenBurst: Int?

    /// Creates limits. Values must be positive.
    public init(
        requestsPerMinute: Int? = nil,
        tokensPerMinute: Int? = nil,
        inputTokensPerMinute: Int? = nil,
        outputTokensPerMinute: Int? = nil,
        requestBurst: Int? = nil,
        tokenBurst: Int? = nil,
        inputTokenBurst: Int? = nil,
        outputTokenBurst: Int? = nil
    ) {
        for (value, name) in [
            (requestsPerMinute, "requestsPerMinute"), (tokensPerMinute, "tokensPerMinute"),
            (inputTokensPerMinute, "inputTokensPerMinute"), (outputTokensPerMinute, "outputTokensPerMinute"),
            (requestBurst, "requestBurst"), (tokenBurst, "tokenBurst"), (inputTokenBurst, "inputTokenBurst"),
            (outputTokenBurst, "outputTokenBurst"),
        ] {
            precondition(value.map { $0 > 0 } ?? true, "\(name) must be positive")
        }
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.inputTokensPerMinute = inputTokensPerMinute
        self.outputTokensPerMinute = outputTokensPerMinute
        self.requestBurst = requestBurst
        self.tokenBurst = tokenBurst
        self.inputTokenBurst = inputTokenBurst
        self.outputTokenBurst = outputTokenBurst
    }

    /// No limits at all.
    public static let unlimited = MockRateLimits()
}
