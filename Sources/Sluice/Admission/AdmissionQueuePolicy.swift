/// How many calls may wait in a limiter's queue: the bound that sheds load.
///
/// ``RateLimitMiddleware/Configuration/queue`` bounds the calls waiting for rate budget on each key
/// (each bucket set); ``ConcurrencyLimits/queue`` bounds the calls waiting for a permit of each key.
/// When a call has to wait and its queue is full, the call of lowest priority in the queue — the
/// latest of them — is shed if it has a lower priority than the newcomer, and the newcomer takes its
/// place; otherwise the newcomer is refused. Either way the call that does not wait fails at once
/// with ``SluiceError/Code/loadShed``, and a `load_shed` event reports it.
///
/// ```swift
/// var limits = ConcurrencyLimits(maxConcurrentRequestsPerKey: 8)
/// limits.queue = try AdmissionQueuePolicy(maxWaiting: 100)
/// ```
///
/// The default, ``unbounded``, lets any number of calls wait (each still bounded by its deadline).
public struct AdmissionQueuePolicy: Sendable, Hashable {
    /// The most calls that may wait at once per key; `nil` for no bound. Zero: never wait (a call
    /// that cannot be admitted at once is refused, unless it displaces a lower-priority waiter —
    /// there is none to displace).
    public let maxWaiting: Int?

    /// A validated policy.
    ///
    /// - Throws: ``SluiceError/Code/invalidConfiguration`` when `maxWaiting` is negative.
    public init(maxWaiting: Int?) throws(SluiceError) {
        if let maxWaiting, maxWaiting < 0 {
            throw SluiceError(
                .invalidConfiguration,
                "invalid admission queue policy: maxWaiting must not be negative, not \(maxWaiting)")
        }
        self.maxWaiting = maxWaiting
    }

    private init(unchecked maxWaiting: Int?) {
        self.maxWaiting = maxWaiting
    }

    /// No bound on the calls waiting.
    public static let unbounded = AdmissionQueuePolicy(unchecked: nil)
}
