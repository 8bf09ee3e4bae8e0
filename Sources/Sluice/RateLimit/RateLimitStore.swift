/// Where the rate limiter keeps its buckets: admission, settlement, server feedback and cooldowns.
///
/// ``InMemoryRateLimitStore`` is the default. A shared store (Redis, say) lets several processes
/// share one key's limits: everything crosses this protocol as values (candidates, costs, an opaque
/// reservation), so a store can keep its state anywhere without the middleware changing.
///
/// ```swift
/// let store = InMemoryRateLimitStore(clock: SystemClock.shared)
/// var configuration = RateLimitMiddleware.Configuration(keys: keys)
/// configuration.store = store
/// ```
///
/// - Important: ``reserve(_:)`` admits in FIFO order per bucket set, waits on the store's clock, fails
///   at once (without waiting) when the cost can never fit (``SluiceError/Code/requestTooLarge``),
///   when the projected admission is after the request's deadline or beyond its maximum wait, and
///   throws `CancellationError` promptly when the waiting task is cancelled, leaving the queue.
///   ``settle(_:charge:)`` is called exactly once per reservation, synchronously from a body or
///   usage callback: it must not block (a networked store queues the write).
public protocol RateLimitStore: Sendable {
    /// Admits `request` on one of its candidates, waiting as needed.
    nonisolated(nonsending) func reserve(_ request: RateLimitReservationRequest) async throws -> RateLimitReservation

    /// Settles a reservation: the request finally costs `charge`; the difference from
    /// ``RateLimitReservation/cost`` is credited back (up to capacity) or debited.
    func settle(_ reservation: RateLimitReservation, charge: RateLimitCost)

    /// Corrects the buckets from what the provider reported in a response to `reservation`'s
    /// request: only downward, never above what the local model allows. Returns whether it lowered
    /// anything.
    ///
    /// The report may already count any of the requests admitted after this one (a provider
    /// handles requests concurrently and answers in any order), so a sound store lowers a bucket
    /// only to the report plus the refill since the admission, never to less: subtracting the
    /// later charges would count some twice and waste capacity for good.
    @discardableResult
    nonisolated(nonsending) func sync(_ reservation: RateLimitReservation, with observation: RateLimitObservation) async -> Bool

    /// Adopts new limits for `candidate`'s bucket set at once (limits learned from the provider's
    /// headers), keeping what its buckets hold up to their new capacity, before the correction of
    /// the same answer (``sync(_:with:)``) lowers them to the provider's remaining budget. Requests
    /// carry the same limits in their candidates from then on, so a store that does nothing here
    /// (the default) adopts them at its next admission.
    nonisolated(nonsending) func adopt(_ candidate: RateLimitCandidate, safetyMargin: RateLimitSafetyMargin) async

    /// Pauses admission on `bucket` until `until` (on the store's clock): every waiter pauses as one.
    nonisolated(nonsending) func cooldown(_ bucket: RateLimitBucketID, until: Duration) async

    /// The state of a bucket set, or `nil` if it was never used.
    nonisolated(nonsending) func state(of bucket: RateLimitBucketID) async -> RateLimitBucketState?
}

extension RateLimitStore {
    /// Does nothing: the store adopts the limits with the next request's candidates.
    public nonisolated(nonsending) func adopt(_ candidate: RateLimitCandidate, safetyMargin: RateLimitSafetyMargin) async {}
}
