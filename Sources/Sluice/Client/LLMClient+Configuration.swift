extension LLMClient {
    /// How an ``LLMClient`` reaches its provider, with defaults applied to every call.
    ///
    /// - Important: ``apiKey`` is a secret: the configuration's description, debug description and
    ///   mirror (`dump`) show `<redacted>` instead, as do those of its ``headers``, ``rateLimits`` and
    ///   ``transport``; no event, log line or error ever contains it.
    public struct Configuration: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        /// The wire format: ``OpenAIAdapter`` or ``AnthropicAdapter`` (or your own).
        public var adapter: any ProviderAdapter
        /// For OpenAI-compatible servers up to the version (`https://api.openai.com/v1`); for Anthropic
        /// the host (`https://api.anthropic.com`).
        public var baseURL: String
        public var apiKey: String
        /// Extra headers on every request.
        public var headers: HTTPHeaders
        /// Applied to a ``ChatRequest`` wherever the request leaves a field unset.
        public var defaults: ChatDefaults
        /// The largest non-streaming response body accepted (default 32 MiB); larger fails with
        /// ``SluiceError/Code/bodyTooLarge``.
        public var maxResponseBytes: Int
        /// The most bytes a stream may bring, in all and per event (default 64 MiB and 1 MiB); more
        /// ends it with ``SluiceError/Code/bodyTooLarge`` or ``SluiceError/Code/malformedStream``.
        /// A call's ``CallOptions/streamLimits`` replaces it.
        public var streamLimits: StreamLimits = .default
        /// The transport's settings, when the client makes its own ``CurlTransport``.
        public var transport: CurlTransport.Configuration
        /// The clock every waiting layer uses. Tests pass a `TestClock`.
        public var clock: any SluiceClock = SystemClock.shared
        /// Estimates prompt tokens before a call, for reserving rate budget.
        public var tokenEstimator: any TokenEstimator = DefaultTokenEstimator()
        /// The output tokens assumed for a call that sets no maximum (OpenAI reserves for the
        /// largest reply a model may give; Sluice reserves this much and settles afterwards).
        public var assumedMaxOutputTokens = 4_096
        /// Time limits: the whole call's deadline and each attempt's phases. Default
        /// ``TimeoutPolicy/default`` (no cap on a whole call or stream; generous phase limits).
        public var timeouts: TimeoutPolicy = .default
        /// Which failures are retried, how often and after how long. Default ``RetryPolicy/default``
        /// (3 attempts, full-jitter exponential backoff from 0.5 s to 8 s, server delay hints first).
        public var retryPolicy: RetryPolicy = .default
        /// How many retries the client allows in proportion to its requests, so an outage does not
        /// become a retry storm; `nil` turns the budget off. Default 20 % of recent requests plus 10
        /// retries per 10 s window, client-wide and per key.
        public var retryBudget: RetryBudgetSettings? = RetryBudgetSettings()
        /// Per-key requests and tokens per minute, the key pool, headroom and settlement; `nil` (the
        /// default) sends every call with ``apiKey`` and no rate limiting. See ``limit(_:)``.
        public var rateLimits: RateLimitMiddleware.Configuration?
        /// With ``rateLimits`` `nil`: whether the client still paces ``apiKey`` to the limits its
        /// provider's rate-limit headers give, and pauses it after a 429 (default `true`; see
        /// <doc:LearnedLimits>). `false` sends every call at once, as before. With ``rateLimits`` set,
        /// its own ``RateLimitMiddleware/Configuration/learnsLimitsFromHeaders`` decides.
        public var learnsLimitsFromHeaders = true
        /// Concurrent requests allowed client-wide and per key; `nil` (the default) sets no limit.
        public var concurrency: ConcurrencyLimits?
        /// The priority of the calls that set no ``CallOptions/priority``; `nil` (the default) is
        /// ``CallPriority/default``. A client that sends only batch work sets ``CallPriority/batch``
        /// here. See <doc:LoadShedding>.
        public var priority: CallPriority?
        /// Where per-key concurrency permits shared with other processes are taken (a Redis store's
        /// `concurrencyPermits`, say); `nil` (the default) limits within this process only.
        public var concurrencyStore: (any ConcurrencyPermitStore)?
        /// Caps on spend in tokens and US dollars, for the client, per key and per tenant; empty (the
        /// default) sets none. Set them with ``setBudgets(_:)``, which checks them together. See
        /// <doc:SpendBudgets>.
        public private(set) var budgets: [SpendBudget] = []
        /// The prices ``budgets`` in dollars count with (default ``PriceTable/default``). A call of a
        /// model with no price under a budget in dollars fails with
        /// ``SluiceError/Code/budgetUnpricedModel`` rather than count as $0.
        public var prices: PriceTable = .default
        /// Where ``budgets`` keep their tallies: a store shared with other processes (SluiceRedis's
        /// `RedisSpendBudgetStore`), so that replicas stop at a budget together; `nil` (the default)
        /// counts in this process only, in an ``InMemorySpendBudgetStore`` on ``clock``.
        public var budgetStore: (any SpendBudgetStore)?
        /// Handlers that see every call's events (see ``ClientEvent``).
        public var eventHandlers: [any ClientEventHandler] = []
        /// Your middleware outside the retry loop: runs once per call, outermost first.
        public var outerMiddleware: [any ClientMiddleware] = []
        /// Your middleware inside the retry loop, outside the rate limiter: runs once per attempt.
        public var attemptMiddleware: [any ClientMiddleware] = []

        public init(
            adapter: any ProviderAdapter,
            baseURL: String,
            apiKey: String,
            headers: HTTPHeaders = [:],
            defaults: ChatDefaults = ChatDefaults(),
            maxResponseBytes: Int = 32 << 20,
            transport: CurlTransport.Configuration = CurlTransport.Configuration()
        ) {
            self.adapter = adapter
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.headers = headers
            self.defaults = defaults
            self.maxResponseBytes = maxResponseBytes
            self.transport = transport
        }

        /// OpenAI, or any server that speaks its chat completions API.
        public static func openAI(
            apiKey: String,
            baseURL: String = "https://api.openai.com/v1",
            organization: String? = nil,
            project: String? = nil,
            defaults: ChatDefaults = ChatDefaults()
        ) -> Configuration {
            Configuration(
                adapter: OpenAIAdapter(organization: organization, project: project),
                baseURL: baseURL,
                apiKey: apiKey,
                defaults: defaults
            )
        }

        /// Anthropic's messages API. `version` is sent as `anthropic-version`.
        public static func anthropic(
            apiKey: String,
            baseURL: String = "https://api.anthropic.com",
            version: String = "2023-06-01",
            defaults: ChatDefaults = ChatDefaults()
        ) -> Configuration {
            Configuration(
                adapter: AnthropicAdapter(version: version),
                baseURL: baseURL,
                apiKey: apiKey,
                defaults: defaults
            )
        }

        /// Sets the client's spend budgets (replacing any), after checking each name is used once.
        ///
        /// ```swift
        /// try configuration.setBudgets([
        ///     SpendBudget("deployment-daily", window: .fixed(.seconds(86_400)), maxUSD: 50),
        ///     SpendBudget("per-tenant", scope: .everyTenant, maxTokens: 1_000_000),
        /// ])
        /// ```
        ///
        /// - Throws: ``SluiceError/Code/invalidConfiguration`` for a name used twice.
        public mutating func setBudgets(_ budgets: [SpendBudget]) throws(SluiceError) {
            try SpendBudget.validate(budgets)
            self.budgets = budgets
        }

        /// Limits ``apiKey`` to `limits` (requests and tokens per minute) with the default headroom,
        /// waiting and settlement.
        public mutating func limit(_ limits: RateLimits) {
            rateLimits = RateLimitMiddleware.Configuration(apiKey: apiKey, limits: limits)
        }

        var endpoint: ProviderEndpoint {
            ProviderEndpoint(baseURL: baseURL, apiKey: apiKey, headers: headers)
        }

        public var description: String {
            "LLMClient.Configuration(\(adapter.provider), \(SecretRedaction.redactingURL(baseURL)), key: <redacted>)"
        }

        public var debugDescription: String { description }

        /// The settings, with ``apiKey`` shown as `<redacted>`. Clock, estimator, handlers and
        /// middleware are shown by type only.
        public var customMirror: Mirror {
            Mirror(
                self,
                children: [
                    "adapter": adapter,
                    "baseURL": SecretRedaction.redactingURL(baseURL),
                    "apiKey": SecretRedaction.placeholder,
                    "headers": headers,
                    "defaults": defaults,
                    "maxResponseBytes": maxResponseBytes,
                    "transport": transport,
                    "clock": String(describing: type(of: clock)),
                    "tokenEstimator": String(describing: type(of: tokenEstimator)),
                    "assumedMaxOutputTokens": assumedMaxOutputTokens,
                    "timeouts": timeouts,
                    "retryPolicy": retryPolicy,
                    "retryBudget": retryBudget as Any,
                    "rateLimits": rateLimits as Any,
                    "concurrency": concurrency as Any,
                    "priority": priority as Any,
                    "budgets": budgets,
                    "budgetStore": budgetStore.map { String(describing: type(of: $0)) } as Any,
                    "concurrencyStore": concurrencyStore.map { String(describing: type(of: $0)) } as Any,
                    "eventHandlers": eventHandlers.map { String(describing: type(of: $0)) },
                    "outerMiddleware": outerMiddleware.map { String(describing: type(of: $0)) },
                    "attemptMiddleware": attemptMiddleware.map { String(describing: type(of: $0)) },
                ],
                displayStyle: .struct
            )
        }
    }

    /// The retry budget's settings (see ``RetryBudget``).
    public struct RetryBudgetSettings: Sendable, Hashable {
        /// Retries allowed per request sent in the window.
        public var ratio: Double
        /// Retries always allowed in a window, however few requests were sent.
        public var minimumRetries: Int
        public var window: Duration

        public init(ratio: Double = 0.2, minimumRetries: Int = 10, window: Duration = .seconds(10)) {
            self.ratio = ratio
            self.minimumRetries = minimumRetries
            self.window = window
        }
    }

    /// Values a client applies to each ``ChatRequest`` that leaves them unset.
    public struct ChatDefaults: Sendable, Hashable {
        /// Used when a request's `model` is empty.
        public var model: String?
        public var maxOutputTokens: Int?
        public var temperature: Double?

        public init(model: String? = nil, maxOutputTokens: Int? = nil, temperature: Double? = nil) {
            self.model = model
            self.maxOutputTokens = maxOutputTokens
            self.temperature = temperature
        }

        /// Whether ``apply(to:)`` would change `request` (most calls set everything or nothing).
        func changes(_ request: ChatRequest) -> Bool {
            (request.model.isEmpty && model != nil) || (request.maxOutputTokens == nil && maxOutputTokens != nil)
                || (request.temperature == nil && temperature != nil)
        }

        func apply(to request: ChatRequest) -> ChatRequest {
            var request = request
            if request.model.isEmpty, let model { request.model = model }
            if request.maxOutputTokens == nil { request.maxOutputTokens = maxOutputTokens }
            if request.temperature == nil { request.temperature = temperature }
            return request
        }
    }
}
