/// Whether the rate limiter waits for budget, and how long at most.
///
/// The default, ``wait``, waits as long as it takes (bounded by the call's deadline: a projected
/// wait beyond it fails at once with ``SluiceError/Code/rateLimitWaitExceedsDeadline``).
/// ``failFast`` throws ``SluiceError/Code/rateLimitWouldWait`` instead of waiting at all, for
/// callers that would rather shed load or try elsewhere. Set it for the client in
/// ``RateLimitMiddleware/Configuration/waitPolicy``, or for one call in ``CallOptions``:
///
/// ```swift
/// var options = CallOptions()
/// options.rateLimitWaitPolicy = .failFast
/// options.rateLimitWaitPolicy = .wait(atMost: .seconds(2))
/// ```
public struct RateLimitWaitPolicy: Sendable, Hashable {
    /// The longest projected wait accepted; `nil` for no bound but the deadline.
    public var maxWait: Duration?

    public init(maxWait: Duration?) {
        self.maxWait = maxWait.map { max(.zero, $0) }
    }

    /// Wait as long as needed (within the deadline).
    public static let wait = RateLimitWaitPolicy(maxWait: nil)
    /// Never wait: fail with ``SluiceError/Code/rateLimitWouldWait`` when budget is not there now.
    public static let failFast = RateLimitWaitPolicy(maxWait: .zero)
    /// Wait when the projected wait is at most `limit`; otherwise fail at once.
    public static func wait(atMost limit: Duration) -> RateLimitWaitPolicy { RateLimitWaitPolicy(maxWait: limit) }
}

/// The ``CallOptions`` key for a per-call ``RateLimitWaitPolicy``.
public enum RateLimitWaitPolicyOption: CallOptionKey {
    public typealias Value = RateLimitWaitPolicy
}

extension CallOptions {
    /// The rate limiter's wait policy for this call; `nil` uses the middleware's configured one.
    public var rateLimitWaitPolicy: RateLimitWaitPolicy? {
        get { self[RateLimitWaitPolicyOption.self] }
        set { self[RateLimitWaitPolicyOption.self] = newValue }
    }
}
