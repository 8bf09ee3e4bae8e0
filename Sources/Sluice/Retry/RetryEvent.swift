/// What the retry layer decided after a failed attempt, inside the layer: the client turns it into
/// ``ClientEvent``s (`retry_scheduled`, `retry_budget_exhausted`); it is not public.
///
/// Emitted through ``RetryMiddleware``'s internal `observer`, synchronously, before the layer sleeps
/// (scheduled) or returns (stopped).
struct RetryEvent: Sendable {
    /// Why the attempt counts as failed.
    enum Reason: Sendable, Hashable {
        /// A retryable answer with this status.
        case status(Int)
        /// A retryable thrown error with this code.
        case error(SluiceError.Code)

        /// The status of a retryable answer; `nil` for a thrown error.
        var status: Int? {
            if case .status(let status) = self { return status }
            return nil
        }
    }

    /// What happens next.
    enum Decision: Sendable, Hashable {
        /// Attempt `attempt + 1` starts after `delay`, which came from `source`.
        case scheduled(delay: Duration, source: ServerHeaders.Source)
        /// No more attempts: ``RetryPolicy/maxAttempts`` reached.
        case attemptsExhausted
        /// No more attempts: the delay would pass the call's deadline.
        case deadlineTooClose(delay: Duration)
        /// No more attempts: the ``RetryBudget`` is spent.
        case budgetExhausted
        /// The server asked for a delay above ``RetryPolicy/maxServerDelay``; the call fails.
        case serverDelayTooLong(delay: Duration)
    }

    var callID: UInt64
    /// The attempt that failed (1 for the first).
    var attempt: Int
    var reason: Reason
    var decision: Decision
}
