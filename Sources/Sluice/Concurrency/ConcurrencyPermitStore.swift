/// Where the concurrency limiter takes per-key permits that several processes share, so that a key's
/// limit on requests in flight (Anthropic's, say) holds across every replica of a service.
///
/// ``ConcurrencyLimitMiddleware`` takes a permit here after its own, in-process one, for every call
/// whose key has a per-key limit, and gives both back when the response body ends. `SluiceRedis`
/// has one (`RedisRateLimitStore.concurrencyPermits`); without a store, limits hold within the
/// process only.
///
/// ```swift
/// var configuration = LLMClient.Configuration.anthropic(apiKey: key)
/// configuration.concurrency = ConcurrencyLimits(maxConcurrentRequestsPerKey: 8)
/// configuration.concurrencyStore = sharedStore.concurrencyPermits
/// ```
///
/// - Important: ``acquire(key:limit:deadline:)`` waits until one of `limit` permits is free across
///   every process, fails with ``SluiceError/Code/permitWaitExceedsDeadline`` once `deadline` (on the
///   client's clock) passes, and throws `CancellationError` promptly when the task is cancelled.
///   ``release(_:)`` is called exactly once per lease and must not block. A process that dies
///   holding permits must not hold them for ever: a networked store gives them an expiry that live
///   holders renew.
public protocol ConcurrencyPermitStore: Sendable {
    /// Takes one of `limit` permits for `key` (`nil`: requests without a key id), waiting as needed.
    nonisolated(nonsending) func acquire(key: KeyID?, limit: Int, deadline: Duration?) async throws -> ConcurrencyLease

    /// Gives a permit back.
    func release(_ lease: ConcurrencyLease)
}

/// A permit a ``ConcurrencyPermitStore`` granted; given back exactly once.
public struct ConcurrencyLease: Sendable, Hashable {
    /// An opaque id, unique within the store that made it.
    public var id: UInt64
    public var key: KeyID?

    public init(id: UInt64, key: KeyID?) {
        self.id = id
        self.key = key
    }
}
