import Logging

/// Everything a ``MockLLMServer`` does: where it listens, which keys it knows and their limits,
/// how long its replies are, how it paces them, and which faults it injects.
///
/// Every property has a default suited to tests: loopback on a free port, any key accepted
/// without limits, 20-token replies, no latency, no faults, no logging.
///
/// ```swift
/// var configuration = MockServerConfiguration()
/// configuration.keys = [MockAPIKey(name: "a", secret: "sk-a",
///                                  limits: MockRateLimits(requestsPerMinute: 60))]
/// configuration.acceptsUnknownKeys = false
/// configuration.latency = MockLatency(firstToken: .milliseconds(100), perToken: .milliseconds(10))
/// configuration.faults = MockFaultPlan(seed: 7, [.rate(0.1, .serverError(503))])
/// ```
public struct MockServerConfiguration: Sendable {
    /// The address to bind. Default `"127.0.0.1"`; use `"::1"` for IPv6 loopback.
    public var host: String = "127.0.0.1"
    /// The port to bind; 0 (the default) picks a free port, read it from ``MockLLMServer/port``.
    public var port: Int = 0
    /// Known keys. Default: none.
    public var keys: [MockAPIKey] = []
    /// Whether a bearer token that matches no configured key is accepted (with ``defaultLimits``)
    /// or answered 401 `invalid_api_key`. Default `true`. A missing token is always answered 401.
    public var acceptsUnknownKeys: Bool = true
    /// Limits for accepted unknown keys, each with its own buckets. Default: unlimited.
    public var defaultLimits: MockRateLimits = .unlimited
    /// Reply length in tokens (words). Capped by the request's `max_completion_tokens` /
    /// `max_tokens`, in which case `finish_reason` is `"length"`. Default 20.
    public var replyTokens: Int = 20
    /// Length of embedding vectors when the request has no `dimensions`. Default 8.
    public var embeddingDimensions: Int = 8
    /// Model ids listed by `GET /v1/models`.
    public var models: [String] = ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small"]
    /// Whether a request naming a model that is not in ``models`` is answered as usual (`true`, the
    /// default) or gets the provider's 404: OpenAI `model_not_found`, Anthropic `not_found_error`.
    public var acceptsUnknownModels: Bool = true
    /// Scripted replies (see ``MockScript``): rules matched against each chat, responses,
    /// embeddings and messages request. Default: none, the mock's usual answers.
    public var script: MockScript?
    /// Timing of replies. Default: no delays.
    public var latency: MockLatency = .none
    /// How the rate-limit headers report the budget: reply order and rounding (see
    /// ``MockRateLimitReporting``). Default: in the order counted, exact.
    public var rateLimitReporting: MockRateLimitReporting = MockRateLimitReporting()
    /// How streams are cut into chunks.
    public var streaming: Streaming = Streaming()
    /// The Anthropic route's prompt cache (`cache_control`). Default: prefixes of 1024 tokens or
    /// more, at most 4096 of them.
    public var promptCaching: PromptCaching = PromptCaching()
    /// Faults injected at random rates. Default: none.
    public var faults: MockFaultPlan = .none
    /// The clock the rate limiter reads. Default ``MockServerClock/continuous``.
    public var clock: MockServerClock = .continuous
    /// Where the server logs (its URL when it starts). The HTTP framework's own messages go here
    /// only when the level is `debug` or lower. Default: discards everything.
    public var logger: Logger = Logger(label: "sluice.mock-server", factory: { _ in SwiftLogNoOpLogHandler() })
    /// Largest request body accepted; larger ones are answered 413. Default 8 MiB.
    public var maxRequestBodySize: Int = 8 * 1024 * 1024
    /// Length of the listen queue; large enough for 1,000 clients connecting at once. Default 4096.
    public var connectionBacklog: Int = 4096
    /// The request journal (``MockLLMServer/requests``, `GET /_mock/requests`). Default: the last
    /// 1,000 requests, bodies kept up to 64 KiB.
    public var journal: Journal = Journal()
    /// The admin HTTP API under `/_mock/` (see ``MockAdminAccess``); `nil` (the default) leaves it
    /// off, and `/_mock/…` answers 404 like any unknown path.
    public var admin: MockAdminAccess? = nil

    /// How much of the traffic the journal keeps.
    public struct Journal: Sendable, Hashable {
        /// The most entries kept; past it the oldest are dropped (and counted). 0 turns the
        /// journal off. Default 1,000.
        public var capacity: Int
        /// The most bytes of a request body kept in its entry; a longer body is cut and flagged
        /// ``MockJournalEntry/bodyTruncated``. Default 65,536.
        public var maxBodyBytes: Int

        /// Creates journal settings.
        public init(capacity: Int = 1000, maxBodyBytes: Int = 64 * 1024) {
            precondition(capacity >= 0, "capacity must not be negative")
            precondition(maxBodyBytes >= 0, "maxBodyBytes must not be negative")
            self.capacity = capacity
            self.maxBodyBytes = maxBodyBytes
        }
    }

    /// Stream chunking.
    public struct Streaming: Sendable, Hashable {
        /// Tokens per content chunk. Default 1: one `data:` event per token, as OpenAI sends.
        /// The per-token delay is applied once per token in the chunk.
        public var tokensPerChunk: Int

        /// Creates stream settings.
        public init(tokensPerChunk: Int = 1) {
            precondition(tokensPerChunk >= 1, "tokensPerChunk must be at least 1")
            self.tokensPerChunk = tokensPerChunk
        }
    }

    /// The Anthropic route's prompt cache: a repeated prefix up to a `cache_control` breakpoint (same
    /// key, same model, within its lifetime) is reported as `cache_read_input_tokens`, a new one as
    /// `cache_creation_input_tokens`, and the input-token bucket counts input plus creation, not reads,
    /// as Anthropic's input limit does. Token counts follow ``MockTokenEstimator``.
    public struct PromptCaching: Sendable, Hashable {
        /// The shortest prefix cached, in tokens (Anthropic: 1024 for most models). Default 1024.
        public var minimumTokens: Int
        /// The most prefixes kept over all keys; past it, expired then least recently used ones are
        /// dropped. Default 4096.
        public var maxEntries: Int

        /// Creates cache settings.
        public init(minimumTokens: Int = 1024, maxEntries: Int = 4096) {
            precondition(minimumTokens >= 1, "minimumTokens must be at least 1")
            precondition(maxEntries >= 1, "maxEntries must be at least 1")
            self.minimumTokens = minimumTokens
            self.maxEntries = maxEntries
        }
    }

    /// Creates the default configuration.
    public init() {}

    /// Creates a configuration with the most used settings.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        keys: [MockAPIKey] = [],
        acceptsUnknownKeys: Bool = true,
        defaultLimits: MockRateLimits = .unlimited,
        replyTokens: Int = 20,
        latency: MockLatency = .none,
        faults: MockFaultPlan = .none
    ) {
        precondition(replyTokens >= 0, "replyTokens must not be negative")
        self.host = host
        self.port = port
        self.keys = keys
        self.acceptsUnknownKeys = acceptsUnknownKeys
        self.defaultLimits = defaultLimits
        self.replyTokens = replyTokens
        self.latency = latency
        self.faults = faults
    }
}
