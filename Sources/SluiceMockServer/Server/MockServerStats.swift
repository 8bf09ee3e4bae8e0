/// A snapshot of what the mock server has seen and done, for tests to assert on.
///
/// Read it in process with ``MockLLMServer/stats`` or, with the admin API on
/// (``MockServerConfiguration/admin``), over HTTP with `GET /_mock/stats` (this struct as JSON);
/// clear it with ``MockLLMServer/resetStats()`` or `POST /_mock/reset`.
///
/// Keys appear under their configured ``MockAPIKey/name``; keys the server does not know under
/// ``MockAPIKey/anonymousName(forSecret:)``. Secrets never appear.
///
/// ```swift
/// let stats = server.stats
/// #expect(stats[key: "tenant-a"].rateLimited == 3)
/// #expect(stats.peakInFlight <= 8)
/// #expect(stats.inFlight == 0)
/// ```
public struct MockServerStats: Sendable, Hashable, Codable {
    /// Per-key counters.
    public struct KeyStats: Sendable, Hashable, Codable {
        /// Authenticated API requests made with the key (every outcome, 429s included).
        public var requests: Int = 0
        /// Requests the rate limiter rejected with 429.
        public var rateLimited: Int = 0
        /// All 429 answers: the limiter's and injected ones.
        public var tooManyRequests: Int = 0
        /// Faults injected into the key's requests.
        public var faults: Int = 0
        /// Tokens debited from the key's token buckets at admission: the OpenAI cost, or on the
        /// Anthropic route the input estimate plus `max_tokens`.
        public var tokensCharged: Int = 0
        /// Input tokens charged on the Anthropic route (the estimate of ``MockTokenEstimator``), as
        /// Anthropic's input limit counts them: input and cache writes, not cache reads.
        public var inputTokensCharged: Int = 0
        /// Input tokens the Anthropic route reported read from its prompt cache.
        public var cacheReadInputTokens: Int = 0
        /// Input tokens the Anthropic route reported written to its prompt cache.
        public var cacheCreationInputTokens: Int = 0
        /// Output tokens charged on the Anthropic route, net of reconciliation: `max_tokens` at
        /// admission, minus what was not sent once the response ended. When no request is in
        /// flight it equals the output tokens sent with this key on that route.
        public var outputTokensCharged: Int = 0
        /// Completion tokens sent to the key (streamed content tokens, or the reply length of a
        /// non-streaming answer).
        public var completionTokens: Int = 0

        /// Creates zeroed counters.
        public init() {}
    }

    /// Requests to API routes (`/v1/...`), authenticated or not.
    public var requests: Int = 0
    /// Requests answered 401.
    public var unauthorized: Int = 0
    /// Requests answered 400 or 413 because their body was not acceptable.
    public var badRequests: Int = 0
    /// Counters by key name.
    public var keys: [String: KeyStats] = [:]
    /// Injected faults by ``MockFault/Kind`` name (`"http_503"`, `"stall"`, ...).
    public var faultsInjected: [String: Int] = [:]
    /// API requests currently being handled (including streams being written).
    public var inFlight: Int = 0
    /// The largest ``inFlight`` seen since the last reset.
    public var peakInFlight: Int = 0
    /// Completion tokens sent, over all keys.
    public var completionTokensSent: Int = 0
    /// Responses cut short because the client went away (closed its connection while the server
    /// was waiting or writing).
    public var disconnects: Int = 0

    /// Creates empty stats.
    public init() {}

    /// The counters of the key named `name` (zero when the key has not been seen).
    public subscript(key name: String) -> KeyStats {
        self.keys[name] ?? KeyStats()
    }

    /// How many faults of `kind` were injected.
    public func faults(_ kind: MockFault.Kind) -> Int {
        self.faultsInjected[kind.rawValue] ?? 0
    }
}
