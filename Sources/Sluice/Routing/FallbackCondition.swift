/// A class of failure on which an ``LLMRouter`` moves on to the next deployment, and which counts
/// against a deployment's circuit (``CircuitBreakerPolicy``).
///
/// The router's ``RoutingPolicy/fallbackOn`` holds the classes it falls back on; by default all six.
/// A failure of no class in the set — a 400, a 401, a 404, a caller's cancellation — is thrown at once
/// as the deployment's own error: another deployment would refuse the same request, or the caller
/// asked to stop.
///
/// Each deployment's client retries first (its ``RetryPolicy`` is inside it); the router sees only
/// the failure the client finally throws.
public struct FallbackCondition: Hashable, Sendable, CustomStringConvertible {
    /// A stable name such as `server_error`, used as the ``ClientEvent/reason`` of a `fallback` event.
    public let name: String
    private init(_ name: String) { self.name = name }
    public var description: String { name }

    /// 429 over a rate limit (``SluiceError/Code/rateLimited``, or a 429 whose retry delay was too long,
    /// ``SluiceError/Code/retryDelayTooLong``). Not `insufficient_quota`, which no wait cures but another
    /// account may: add ``quotaExhausted`` for that.
    public static let rateLimited = FallbackCondition("rate_limited")
    /// A 5xx answer other than overloaded (``SluiceError/Code/serverError``, or a 5xx whose retry delay
    /// was too long).
    public static let serverError = FallbackCondition("server_error")
    /// 529 or `overloaded_error` (``SluiceError/Code/overloaded``).
    public static let overloaded = FallbackCondition("overloaded")
    /// A time limit: the transport's connect timeout, the attempt limits of ``TimeoutPolicy`` and the
    /// deployment's call deadline.
    public static let timeout = FallbackCondition("timeout")
    /// The deployment could not be reached or dropped the connection: refused, reset, DNS, TLS, proxy,
    /// an answer that is not HTTP, another transport failure.
    public static let connectionFailure = FallbackCondition("connection_failure")
    /// The prompt does not fit the deployment's model (``SluiceError/Code/contextWindowExceeded``):
    /// the next deployment may serve a model with a larger window.
    public static let contextWindowExceeded = FallbackCondition("context_window_exceeded")
    /// 429 `insufficient_quota` (``SluiceError/Code/insufficientQuota``): the account is out of credit.
    /// Not in the default set.
    public static let quotaExhausted = FallbackCondition("quota_exhausted")

    /// The classes an ``LLMRouter`` falls back on by default: every class but ``quotaExhausted``.
    public static let defaults: Set<FallbackCondition> = [
        .rateLimited, .serverError, .overloaded, .timeout, .connectionFailure, .contextWindowExceeded,
    ]

    private static let timeoutCodes: Set<SluiceError.Code> = [
        .timeout, .responseHeadTimeout, .firstByteTimeout, .firstTokenTimeout, .idleTimeout, .attemptTimeout,
        .deadlineExceeded,
    ]

    private static let connectionCodes: Set<SluiceError.Code> = [
        .connectionRefused, .connectionClosed, .dnsFailure, .tlsFailure, .proxyFailure, .invalidResponse,
        .transportFailure,
    ]

    /// The class of `error`, or `nil` for a failure of no class (a client error such as 400 or 401, a
    /// cancellation, a decoding failure, a stream error).
    public static func classify(_ error: SluiceError) -> FallbackCondition? {
        switch error.code {
        case .rateLimited: return .rateLimited
        case .serverError: return .serverError
        case .overloaded: return .overloaded
        case .contextWindowExceeded: return .contextWindowExceeded
        case .insufficientQuota: return .quotaExhausted
        case .retryDelayTooLong:
            guard let status = error.status else { return nil }
            if status == 429 { return .rateLimited }
            if status == 529 { return .overloaded }
            return (500...599).contains(status) ? .serverError : nil
        case let code where timeoutCodes.contains(code): return .timeout
        case let code where connectionCodes.contains(code): return .connectionFailure
        default: return nil
        }
    }
}
