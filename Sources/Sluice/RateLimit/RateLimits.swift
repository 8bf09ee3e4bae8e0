/// The rate limits of one API key (or of one model on a key): requests and tokens per minute.
///
/// Each limit is a token bucket refilled continuously at `limit / 60` per second, holding at most
/// its burst (its capacity), which defaults to the per-minute limit — the providers' own model. Set
/// a smaller burst to smooth traffic. `nil` means no limit in that dimension.
///
/// Which limits apply is up to you, by provider:
///
/// | Provider | Configure |
/// |---|---|
/// | OpenAI and compatible servers | ``requestsPerMinute`` and ``tokensPerMinute`` (each request charges its prompt estimate plus its `max_tokens`) |
/// | Anthropic | ``requestsPerMinute``, ``inputTokensPerMinute`` (the prompt estimate) and ``outputTokensPerMinute`` (`max_tokens`) |
///
/// ```swift
/// let openAI = RateLimits(requestsPerMinute: 500, tokensPerMinute: 200_000)
/// let anthropic = RateLimits(requestsPerMinute: 50, inputTokensPerMinute: 30_000, outputTokensPerMinute: 8_000)
/// let smooth = RateLimits(requestsPerMinute: 600, requestBurst: 10)
/// ```
public struct RateLimits: Sendable, Hashable {
    /// Requests per minute; `nil` for no request limit.
    public var requestsPerMinute: Int?
    /// Tokens per minute, prompt and output together (OpenAI's TPM); `nil` for no limit.
    public var tokensPerMinute: Int?
    /// Input (prompt) tokens per minute (Anthropic's ITPM); `nil` for no limit.
    public var inputTokensPerMinute: Int?
    /// Output tokens per minute (Anthropic's OTPM); `nil` for no limit.
    public var outputTokensPerMinute: Int?
    /// The request bucket's capacity; `nil` means ``requestsPerMinute``.
    public var requestBurst: Int?
    /// The token bucket's capacity; `nil` means ``tokensPerMinute``.
    public var tokenBurst: Int?
    /// The input-token bucket's capacity; `nil` means ``inputTokensPerMinute``.
    public var inputTokenBurst: Int?
    /// The output-token bucket's capacity; `nil` means ``outputTokensPerMinute``.
    public var outputTokenBurst: Int?

    /// Creates limits. A value that is zero or negative counts as no limit.
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
        func positive(_ value: Int?) -> Int? { value.flatMap { $0 > 0 ? $0 : nil } }
        self.requestsPerMinute = positive(requestsPerMinute)
        self.tokensPerMinute = positive(tokensPerMinute)
        self.inputTokensPerMinute = positive(inputTokensPerMinute)
        self.outputTokensPerMinute = positive(outputTokensPerMinute)
        self.requestBurst = positive(requestBurst)
        self.tokenBurst = positive(tokenBurst)
        self.inputTokenBurst = positive(inputTokenBurst)
        self.outputTokenBurst = positive(outputTokenBurst)
    }

    /// No limits: requests pass without waiting (the key pool still chooses keys and removes bad ones).
    public static let unlimited = RateLimits()

    /// Whether no dimension is limited.
    public var isUnlimited: Bool {
        requestsPerMinute == nil && tokensPerMinute == nil && inputTokensPerMinute == nil
            && outputTokensPerMinute == nil
    }
}
