/// A snapshot of ``ConcurrencyLimitMiddleware``'s counts: requests in flight and requests waiting.
///
/// Read it for metrics and in tests:
///
/// ```swift
/// let gauges = middleware.gauges
/// print(gauges.inFlight, gauges.waiting, gauges.inFlightByKey[keyID] ?? 0)
/// ```
///
/// A request is in flight from its admission until its response body ends (or its `next` throws).
/// Requests without a key id count in the totals only.
public struct ConcurrencyGauges: Sendable, Hashable {
    /// Requests holding a permit, over the whole client.
    public var inFlight: Int
    /// Requests queued for a permit, over the whole client.
    public var waiting: Int
    /// Requests holding a permit, per key (keys with none are left out).
    public var inFlightByKey: [KeyID: Int]
    /// Requests queued for a permit, per key (keys with none are left out).
    public var waitingByKey: [KeyID: Int]

    public init(
        inFlight: Int = 0, waiting: Int = 0, inFlightByKey: [KeyID: Int] = [:], waitingByKey: [KeyID: Int] = [:]
    ) {
        self.inFlight = inFlight
        self.waiting = waiting
        self.inFlightByKey = inFlightByKey
        self.waitingByKey = waitingByKey
    }
}
