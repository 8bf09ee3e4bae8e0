/// How many requests may be in flight at once: over the whole client, and per API key.
///
/// Use it to stay under a provider's concurrency limit (Anthropic's, say) or to bound the load one
/// process puts on a self-hosted server. `nil` means no limit in that dimension; the default value
/// limits nothing.
///
/// ```swift
/// var limits = ConcurrencyLimits(maxConcurrentRequests: 64, maxConcurrentRequestsPerKey: 16)
/// limits.perKeyOverrides[KeyID(apiKey: batchKey)] = 4     // a key with a smaller allowance
/// let middleware = ConcurrencyLimitMiddleware(limits: limits)
/// ```
///
/// A request in flight counts against both its key's limit and the client-wide limit, from the moment
/// ``ConcurrencyLimitMiddleware`` admits it until its response body ends. A request whose
/// ``ClientContext/keyID`` is `nil` counts against the client-wide limit and against the default
/// per-key limit, as one key of its own.
///
/// A limit that is zero or negative counts as no limit, as in ``RateLimits``.
public struct ConcurrencyLimits: Sendable, Hashable {
    /// The most requests in flight at once over the whole client, or `nil` for no client-wide limit.
    public var maxConcurrentRequests: Int?
    /// The most requests in flight at once with any one API key, unless ``perKeyOverrides`` names the
    /// key; `nil` for no per-key limit.
    public var maxConcurrentRequestsPerKey: Int?
    /// Per-key limits that replace ``maxConcurrentRequestsPerKey`` for the keys they name (zero: no
    /// limit for that key).
    public var perKeyOverrides: [KeyID: Int]
    /// How many requests may wait for a permit of one key; default ``AdmissionQueuePolicy/unbounded``.
    /// A request arriving at a full queue is refused, or displaces a waiter of lower priority, with
    /// ``SluiceError/Code/loadShed``.
    public var queue: AdmissionQueuePolicy = .unbounded
    /// A client-wide limit that follows the server's latency and push-back (429, 503, 529, attempt
    /// timeouts) within its bounds; `nil` (the default) keeps the limit fixed. See
    /// ``AdaptiveConcurrency``. ``maxConcurrentRequests``, when set, still bounds it.
    public var adaptive: AdaptiveConcurrency?

    /// Limits; every one defaults to none.
    public init(
        maxConcurrentRequests: Int? = nil,
        maxConcurrentRequestsPerKey: Int? = nil,
        perKeyOverrides: [KeyID: Int] = [:],
        adaptive: AdaptiveConcurrency? = nil
    ) {
        self.maxConcurrentRequests = maxConcurrentRequests
        self.maxConcurrentRequestsPerKey = maxConcurrentRequestsPerKey
        self.perKeyOverrides = perKeyOverrides
        self.adaptive = adaptive
    }

    /// No limit at all: the middleware only counts.
    public static var unlimited: ConcurrencyLimits { ConcurrencyLimits() }

    /// The limit for requests sent with `key` (`nil`: requests without a key id), or `nil` if there is none.
    public func limit(for key: KeyID?) -> Int? {
        if let key, let override = perKeyOverrides[key] { return Self.positive(override) }
        return Self.positive(maxConcurrentRequestsPerKey)
    }

    /// The client-wide limit, or `nil` if there is none.
    public var clientLimit: Int? { Self.positive(maxConcurrentRequests) }

    private static func positive(_ value: Int?) -> Int? { value.flatMap { $0 > 0 ? $0 : nil } }
}
