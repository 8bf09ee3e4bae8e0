/// Token, request, retry and wait totals for a set of calls, with their cost: one model's, one
/// key's, or everything a ``UsageTracker`` saw.
///
/// Read it from a ``UsageSummary``:
///
/// ```swift
/// let summary = tracker.snapshot()
/// let mini = summary.byModel["gpt-4o-mini"]
/// print(mini?.inputTokens ?? 0, mini?.cost?.description ?? "unpriced")
/// ```
///
/// Token counts are the provider's own (``Usage``), except for the ``estimatedCalls``; ``inputTokens`` includes the cached and
/// cache-write tokens, ``outputTokens`` includes the reasoning tokens.
public struct UsageTotals: Sendable, Hashable, Codable {
    /// Prompt tokens, cached and cache-write tokens included.
    public var inputTokens = 0
    /// Generated tokens, reasoning tokens included.
    public var outputTokens = 0
    /// Input tokens read from the provider's prompt cache.
    public var cachedInputTokens = 0
    /// Input tokens written to the prompt cache (Anthropic).
    public var cacheCreationInputTokens = 0
    /// Output tokens spent on reasoning, where the provider reports them.
    public var reasoningTokens = 0

    /// Calls that succeeded (`request_succeeded`).
    public var succeeded = 0
    /// Calls that failed (`request_failed`).
    public var failed = 0
    /// Calls that were cancelled (`request_cancelled`).
    public var cancelled = 0
    /// Retries scheduled (`retry_scheduled`), over all calls.
    public var retries = 0
    /// Time calls spent waiting for rate budget (the sum of `rate_limit_wait_ended`'s `waited`).
    public var rateLimitWait: Duration = .zero
    /// Calls whose tokens here are the client's estimate (``Usage/isEstimated``) because the provider
    /// reported no usage: when it is not 0, the token counts and the cost are partly estimated.
    public var estimatedCalls = 0

    /// What these tokens cost, or `nil` when some of them are of a model with no price (see
    /// ``unpricedModels``): an unknown cost is never reported as $0.
    public var cost: Cost? = .zero
    /// The cost of the tokens of priced models only: a lower bound when ``cost`` is `nil`.
    public var pricedCost: Cost = .zero
    /// The models with tokens here but no price in the tracker's ``PriceTable``, sorted.
    public var unpricedModels: [String] = []

    public init() {}

    /// Calls that ended, however they ended.
    public var requests: Int { succeeded.saturatingAdding(failed).saturatingAdding(cancelled) }

    /// Input plus output tokens.
    public var totalTokens: Int { inputTokens.saturatingAdding(outputTokens) }
}
