/// One thing a layer did for one call, delivered to every ``ClientEventHandler`` in scope.
///
/// Every event carries the call's id, the provider, model, attempt, the key's short id (never the
/// key) and the instant on the client's clock; the fields below ``kind`` are filled where they apply
/// and `nil` otherwise. New kinds and fields are added over time, so switch with a `default`.
///
/// ```swift
/// struct PrintRetries: ClientEventHandler {
///     func handle(_ event: ClientEvent) {
///         if event.kind == .retryScheduled { print(event.callID, event.delay ?? .zero, event.reason ?? "") }
///     }
/// }
/// ```
public struct ClientEvent: Sendable, CustomStringConvertible {
    /// What happened.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The call began (client layer).
        public static let requestStarted = Kind("request_started")
        /// The call is waiting for rate budget, emitted as the wait begins (``ClientEvent/reason``: what
        /// is short, `requests`, `tokens`, `input_tokens`, `output_tokens`, `cooldown`, or `queue` when
        /// only earlier requests go first; ``ClientEvent/tokens``: tokens to reserve;
        /// ``ClientEvent/delay``: the projected wait; ``ClientEvent/keyID``: the key waited on).
        public static let rateLimitWaitStarted = Kind("rate_limit_wait_started")
        /// Rate budget was granted (``ClientEvent/waited``: time spent waiting).
        public static let rateLimitWaitEnded = Kind("rate_limit_wait_ended")
        /// The call is waiting for a concurrency permit.
        public static let permitWaitStarted = Kind("permit_wait_started")
        /// A permit was granted (``ClientEvent/waited``).
        public static let permitWaitEnded = Kind("permit_wait_ended")
        /// A full admission queue shed the call (``ClientEvent/reason``: `rate_limit` or `concurrency`,
        /// the queue; ``ClientEvent/text``: the call's priority; ``ClientEvent/error``: the
        /// ``SluiceError/Code/loadShed`` error the call fails with). See ``AdmissionQueuePolicy``.
        public static let loadShed = Kind("load_shed")
        /// An attempt is being sent (``ClientEvent/attempt``).
        public static let attemptStarted = Kind("attempt_started")
        /// A response head arrived (``ClientEvent/status``, ``ClientEvent/rateLimit``).
        public static let responseHead = Kind("response_head")
        /// The first content of a stream arrived: a text, tool-call or thinking delta, not a role-only
        /// chunk or a keep-alive (see ``ChatStreamEvent/isContent``). ``ClientEvent/latency``: since the
        /// call began.
        public static let firstToken = Kind("first_token")
        /// Streamed text arrived (``ClientEvent/text``).
        public static let chunk = Kind("chunk")
        /// A retry is scheduled (``ClientEvent/reason``, ``ClientEvent/delay``,
        /// ``ClientEvent/delaySource``: `retry-after-ms`, `retry-after`, `reset-header` or `backoff`).
        public static let retryScheduled = Kind("retry_scheduled")
        /// A retry was not made because the retry budget is spent.
        public static let retryBudgetExhausted = Kind("retry_budget_exhausted")
        /// A time limit cut the call or attempt (``ClientEvent/phase``: `total`, `response_head`,
        /// `first_byte`, `first_token`, `idle`, `attempt` or `connect`).
        public static let timeout = Kind("timeout")
        /// A key entered cooldown after a 429 (``ClientEvent/delay``: how long).
        public static let cooldownStarted = Kind("cooldown_started")
        /// A key's cooldown ended (``ClientEvent/delay``: how long it lasted).
        public static let cooldownEnded = Kind("cooldown_ended")
        /// The provider's rate-limit headers (`x-ratelimit-remaining-*`, `anthropic-ratelimit-*`)
        /// lowered the key's local buckets: something else spent on the key, or the provider counts
        /// differently (``ClientEvent/rateLimit``: what the headers said, when the response head had it).
        public static let rateLimitCorrected = Kind("rate_limit_corrected")
        /// The provider's rate-limit headers set a key's limit in one dimension, where none was
        /// configured or a higher one (``ClientEvent/keyID``: the key; ``ClientEvent/reason``: the
        /// dimension, `requests`, `tokens`, `input_tokens` or `output_tokens`; ``ClientEvent/limit``:
        /// the limit per minute now in force; ``ClientEvent/text``: the one before). See
        /// ``RateLimitMiddleware/Configuration/learnsLimitsFromHeaders``.
        public static let limitLearned = Kind("limit_learned")
        /// An adaptive concurrency limit (``ConcurrencyLimits/adaptive``) moved: ``ClientEvent/limit``
        /// is the new client-wide limit, ``ClientEvent/reason`` `pushed_back` (a 429, 503, 529 or an
        /// attempt timeout) or `latency`, ``ClientEvent/text`` the limit before (`was 8`).
        public static let concurrencyLimitChanged = Kind("concurrency_limit_changed")
        /// A shared rate-limit store reported something while the call reserved budget: connected,
        /// lost, fell back to local limits or left the fallback, reloaded a script
        /// (``ClientEvent/reason``: a ``RateLimitStoreEvent/Kind`` name such as `store_fallback_entered`;
        /// ``ClientEvent/text``: the detail).
        public static let rateLimitStore = Kind("rate_limit_store")
        /// A key left the pool (``ClientEvent/reason``: `authentication_failed` or `insufficient_quota`); a
        /// call it happened to is sent again with another key of the pool, if one is left.
        public static let keyRemoved = Kind("key_removed")
        /// A ``SpendBudget`` refused the attempt before it was sent (``ClientEvent/reason``: the
        /// budget's name; ``ClientEvent/text``: the tenant or key id, for a budget of every tenant or
        /// every key; ``ClientEvent/error``: the ``SluiceError/Code/budgetExceeded`` or
        /// ``SluiceError/Code/budgetUnpricedModel`` error thrown, whose message has the limit, the
        /// spend and what the call needed; ``ClientEvent/tokens``: the call's worst-case tokens).
        public static let budgetExceeded = Kind("budget_exceeded")
        /// Reserved tokens were settled against the real usage (``ClientEvent/tokens``: reserved,
        /// ``ClientEvent/usage``: actual).
        public static let usageSettled = Kind("usage_settled")
        /// An ``LLMRouter``'s deployment failed with a failure it falls back on, and the router tries
        /// the next (``ClientEvent/deployment``: the one that failed; ``ClientEvent/reason``: the
        /// ``FallbackCondition`` name, such as `server_error`; ``ClientEvent/error``: its failure). When
        /// that failure opened the deployment's circuit, `circuit_opened` comes just before.
        public static let fallback = Kind("fallback")
        /// A deployment's circuit opened: the router skips it for the open duration
        /// (``ClientEvent/deployment``; ``ClientEvent/error``: the failure that opened it).
        public static let circuitOpened = Kind("circuit_opened")
        /// An ``LLMRouter`` passed over a deployment because its circuit is open (or its half-open probes
        /// are all out) and did not send the call to it (``ClientEvent/deployment``).
        public static let circuitSkipped = Kind("circuit_skipped")
        /// A deployment's open circuit let its first probe through (``ClientEvent/deployment``).
        public static let circuitHalfOpen = Kind("circuit_half_open")
        /// A deployment's probes succeeded and its circuit closed (``ClientEvent/deployment``).
        public static let circuitClosed = Kind("circuit_closed")
        /// The call succeeded (``ClientEvent/usage``, ``ClientEvent/latency``).
        public static let requestSucceeded = Kind("request_succeeded")
        /// The call failed (``ClientEvent/error``).
        public static let requestFailed = Kind("request_failed")
        /// The call was cancelled.
        public static let requestCancelled = Kind("request_cancelled")
    }

    public var kind: Kind
    /// The call's process-unique id.
    public var callID: UInt64
    public var provider: Provider
    public var model: String
    public var operation: ClientContext.Operation
    /// The attempt the event belongs to (1 for the first).
    public var attempt: Int
    /// The short, non-reversible id of the key, once known.
    public var keyID: KeyID?
    /// When it happened, on the client's clock.
    public var instant: Duration

    public var status: Int?
    public var error: SluiceError?
    public var reason: String?
    public var delay: Duration?
    public var delaySource: String?
    public var waited: Duration?
    public var latency: Duration?
    public var tokens: Int?
    /// A rate limit per minute (on `limit_learned`), or a client-wide concurrency limit (on
    /// `concurrency_limit_changed`).
    public var limit: Int?
    public var usage: Usage?
    public var text: String?
    public var phase: String?
    /// Rate-limit state the provider reported in the response headers.
    public var rateLimit: RateLimitSnapshot?
    /// Where the call goes and what it asks for (on `request_started`).
    public var request: RequestDetails?
    /// What the server answered: id, model, finish reasons (on `request_succeeded`).
    public var reply: ReplyDetails?
    /// The ``Deployment/name`` an ``LLMRouter`` event is about (on `fallback` and the circuit events).
    public var deployment: String?

    public init(
        kind: Kind,
        callID: UInt64,
        provider: Provider,
        model: String,
        operation: ClientContext.Operation,
        attempt: Int,
        keyID: KeyID?,
        instant: Duration
    ) {
        self.kind = kind
        self.callID = callID
        self.provider = provider
        self.model = model
        self.operation = operation
        self.attempt = attempt
        self.keyID = keyID
        self.instant = instant
    }

    public var description: String {
        var parts = ["\(kind)", "call=\(callID)", "provider=\(provider)", "model=\(model)", "attempt=\(attempt)"]
        if let keyID { parts.append("key=\(keyID)") }
        if let deployment { parts.append("deployment=\(deployment)") }
        if let status { parts.append("status=\(status)") }
        if let reason { parts.append("reason=\(reason)") }
        if let phase { parts.append("phase=\(phase)") }
        if let delay { parts.append("delay=\(delay)") }
        if let delaySource { parts.append("source=\(delaySource)") }
        if let waited { parts.append("waited=\(waited)") }
        if let tokens { parts.append("tokens=\(tokens)") }
        if let limit { parts.append("limit=\(limit)") }
        if let usage { parts.append("usage=\(usage.inputTokens)+\(usage.outputTokens)") }
        if let error { parts.append("error=\(error.code)") }
        return parts.joined(separator: " ")
    }
}

/// Rate-limit state read from a response's headers (`x-ratelimit-*`, `anthropic-ratelimit-*`).
public struct RateLimitSnapshot: Sendable, Hashable {
    public var remainingRequests: Int?
    public var remainingTokens: Int?
    public var remainingInputTokens: Int?
    public var remainingOutputTokens: Int?
    public var resetRequests: Duration?
    public var resetTokens: Duration?

    public init(
        remainingRequests: Int? = nil,
        remainingTokens: Int? = nil,
        remainingInputTokens: Int? = nil,
        remainingOutputTokens: Int? = nil,
        resetRequests: Duration? = nil,
        resetTokens: Duration? = nil
    ) {
        self.remainingRequests = remainingRequests
        self.remainingTokens = remainingTokens
        self.remainingInputTokens = remainingInputTokens
        self.remainingOutputTokens = remainingOutputTokens
        self.resetRequests = resetRequests
        self.resetTokens = resetTokens
    }
}
