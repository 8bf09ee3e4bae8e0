extension RateLimitMiddleware {
    /// How a ``RateLimitMiddleware`` limits: keys and their limits, headroom, waiting and settlement.
    ///
    /// ```swift
    /// var configuration = RateLimitMiddleware.Configuration(keys: [
    ///     APIKey(primaryKey, label: "primary", limits: RateLimits(requestsPerMinute: 500, tokensPerMinute: 200_000)),
    ///     APIKey(secondaryKey, label: "secondary", limits: RateLimits(requestsPerMinute: 500, tokensPerMinute: 200_000)),
    /// ])
    /// configuration.waitPolicy = .wait(atMost: .seconds(10))
    /// ```
    ///
    /// What the limiter does (waits, cooldowns, header corrections, keys leaving the pool) reaches
    /// every ``ClientEventHandler`` as ``ClientEvent``s, with the rest of the call's events.
    ///
    /// - Important: Its description, debug description and mirror (`dump`) show each key's ``KeyID``
    ///   and limits, never its secret.
    public struct Configuration: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        /// The keys requests are sent with; at least one.
        public var keys: [APIKey]
        /// Headroom kept in each bucket at admission. Default ``RateLimitSafetyMargin/default``
        /// (250 ms of refill).
        public var safetyMargin: RateLimitSafetyMargin
        /// Whether to wait for budget, and how long at most; a call can override it with
        /// ``CallOptions/rateLimitWaitPolicy``. Default ``RateLimitWaitPolicy/wait``.
        public var waitPolicy: RateLimitWaitPolicy
        /// How a successful call's reservation is settled against its real usage; `nil` (the default)
        /// uses ``RateLimitSettlementPolicy/default(for:)`` for the adapter's provider.
        public var settlement: RateLimitSettlementPolicy?
        /// Where the buckets live; `nil` (the default) makes an ``InMemoryRateLimitStore`` on the
        /// middleware's clock.
        public var store: (any RateLimitStore)?
        /// The longest cooldown a 429's `retry-after-ms` / `retry-after` puts a key in; a longer one
        /// from the server is clamped to it (an absurd `retry-after: 1e300` pauses the key this long,
        /// not for years). Default 60 seconds, as ``RetryPolicy/maxServerDelay``. Never negative.
        public var maxCooldown: Duration = .seconds(60) {
            didSet { maxCooldown = max(.zero, maxCooldown) }
        }
        /// Whether the provider's rate-limit headers set the keys' limits where they are unlimited or
        /// configured above the provider's (`x-ratelimit-limit-*`, `anthropic-ratelimit-*-limit`),
        /// and a 429 without `retry-after` pauses the key until the reset the headers give, else for
        /// a backoff. Default `true`. A limit configured at or below the provider's always stays. See
        /// <doc:LearnedLimits>.
        public var learnsLimitsFromHeaders = true
        /// How many calls may wait for budget on one key (one bucket set); default
        /// ``AdmissionQueuePolicy/unbounded``. A call that would wait in a full queue is refused, or
        /// displaces a waiter of lower priority, with ``SluiceError/Code/loadShed``. A shared store
        /// (`SluiceRedis`) bounds only the waiters of its local fallback.
        public var queue: AdmissionQueuePolicy = .unbounded

        public init(
            keys: [APIKey],
            safetyMargin: RateLimitSafetyMargin = .default,
            waitPolicy: RateLimitWaitPolicy = .wait,
            settlement: RateLimitSettlementPolicy? = nil,
            store: (any RateLimitStore)? = nil
        ) {
            self.keys = keys
            self.safetyMargin = safetyMargin
            self.waitPolicy = waitPolicy
            self.settlement = settlement
            self.store = store
        }

        /// One key with these limits.
        public init(apiKey: String, limits: RateLimits) {
            self.init(keys: [APIKey(apiKey, limits: limits)])
        }

        public var description: String {
            "RateLimitMiddleware.Configuration(keys: [\(keys.map(\.description).joined(separator: ", "))])"
        }

        public var debugDescription: String { description }

        /// The keys (ids and limits only) and settings; the store and event callback by type only.
        public var customMirror: Mirror {
            Mirror(
                self,
                children: [
                    "keys": keys,
                    "safetyMargin": safetyMargin,
                    "waitPolicy": waitPolicy,
                    "settlement": settlement as Any,
                    "store": store.map { String(describing: type(of: $0)) } as Any,
                    "learnsLimitsFromHeaders": learnsLimitsFromHeaders,
                    "queue": queue,
                ],
                displayStyle: .struct
            )
        }
    }
}
