/// When and how often a call is retried, as a documented value.
///
/// Use it to configure ``RetryMiddleware`` for a client, or to override it for one call with
/// ``CallOptions/retryPolicy``. The defaults follow the OpenAI and Anthropic SDKs: up to 3 attempts
/// (2 retries), backoff from 0.5 s doubling to 8 s, and the statuses they retry.
///
/// ```swift
/// let policy = try RetryPolicy(maxAttempts: 5, initialBackoff: .seconds(1), jitter: .equal)
/// var options = CallOptions()
/// options.retryPolicy = .disabled      // this call: one attempt only
/// ```
///
/// **What is retried.** An answer is retried when its status is in ``retryableStatuses`` (408, 409,
/// 429, 500, 502, 503, 504, 529 by default), except a 429 whose body says `insufficient_quota` (out of
/// credit: waiting does not help). A server's `x-should-retry: true` or `false` overrides both rules
/// when ``honorsShouldRetryHeader`` is set (the default, as in both SDKs). A thrown ``SluiceError`` is
/// retried when its code is in ``retryableErrorCodes``: by default connection refused or reset
/// (``SluiceError/Code/connectionRefused``, ``SluiceError/Code/connectionClosed``), the transport's
/// connect timeout (``SluiceError/Code/timeout``) and the attempt limits of ``TimeoutPolicy``. Nothing
/// is retried once any byte of a response has reached the caller: the decision is made from the
/// status, the headers and errors before the response is returned. A stream is returned at its head,
/// so a stream that fails later is never retried; a non-streaming body is read inside the retry loop,
/// so a body that fails before the caller sees it can be.
///
/// **How long to wait.** The server's word first: `retry-after-ms`, then `retry-after` (seconds or an
/// HTTP date), then, for a 429, the reset of the exhausted limit (OpenAI's
/// `x-ratelimit-reset-requests`/`-tokens`, Anthropic's `anthropic-ratelimit-*-reset`). Every such
/// value is parsed saturating (an absurd `retry-after: 1e300` or a date in year 99999 is just long)
/// and a server-directed delay longer than ``maxServerDelay`` is clamped to it. When the delay would
/// pass the call's deadline — or, for a 429, the call's own ``CallOptions/rateLimitWaitPolicy`` —
/// the call fails at once with ``SluiceError/Code/retryDelayTooLong`` (keeping the answer's status and
/// request id) instead of sleeping. Without a server delay, before retry `n` (1 for the first retry):
///
/// ```
/// base(n)  = min(maxBackoff, initialBackoff * backoffMultiplier^(n-1))
/// delay(n) = jitter(base(n))      full: random(0, base)   equal: base/2 + random(0, base/2)   none: base
/// ```
///
/// With the defaults the bases are 0.5 s and 1 s, and full jitter draws each delay uniformly below
/// them.
public struct RetryPolicy: Sendable, Hashable {
    /// The most attempts, the first included (1 means never retry). At least 1.
    public let maxAttempts: Int
    /// The backoff base before the first retry. More than zero.
    public let initialBackoff: Duration
    /// The largest backoff base. At least ``initialBackoff``.
    public let maxBackoff: Duration
    /// How much the base grows per retry. At least 1.
    public let backoffMultiplier: Double
    /// How the backoff is randomised.
    public var jitter: Jitter
    /// Statuses that are retried (see above for 429 `insufficient_quota` and `x-should-retry`).
    public var retryableStatuses: Set<Int>
    /// Codes of thrown errors that are retried.
    public var retryableErrorCodes: Set<SluiceError.Code>
    /// Whether `x-should-retry: true|false` overrides ``retryableStatuses``.
    public var honorsShouldRetryHeader: Bool
    /// The longest server-directed delay the call waits; a longer `retry-after` (or reset header) is
    /// clamped to it. Default 60 seconds. At least zero.
    public let maxServerDelay: Duration

    /// 408, 409, 429, 500, 502, 503, 504, 529.
    public static let defaultRetryableStatuses: Set<Int> = [408, 409, 429, 500, 502, 503, 504, 529]

    /// Connection refused and reset, the transport's timeout, and the attempt limits.
    public static let defaultRetryableErrorCodes: Set<SluiceError.Code> = [
        .connectionRefused, .connectionClosed, .timeout,
        .responseHeadTimeout, .firstByteTimeout, .firstTokenTimeout, .idleTimeout, .attemptTimeout,
    ]

    /// A validated policy.
    ///
    /// - Throws: ``SluiceError/Code/invalidConfiguration`` when `maxAttempts < 1`,
    ///   `initialBackoff <= 0`, `maxBackoff < initialBackoff`, `backoffMultiplier < 1` (or not finite),
    ///   or `maxServerDelay < 0`.
    public init(
        maxAttempts: Int = 3,
        initialBackoff: Duration = .milliseconds(500),
        maxBackoff: Duration = .seconds(8),
        backoffMultiplier: Double = 2,
        jitter: Jitter = .full,
        retryableStatuses: Set<Int> = RetryPolicy.defaultRetryableStatuses,
        retryableErrorCodes: Set<SluiceError.Code> = RetryPolicy.defaultRetryableErrorCodes,
        honorsShouldRetryHeader: Bool = true,
        maxServerDelay: Duration = .seconds(60)
    ) throws(SluiceError) {
        func invalid(_ message: String) -> SluiceError {
            SluiceError(.invalidConfiguration, "invalid retry policy: \(message)")
        }
        guard maxAttempts >= 1 else { throw invalid("maxAttempts must be at least 1, not \(maxAttempts)") }
        guard initialBackoff > .zero else { throw invalid("initialBackoff must be more than zero") }
        guard maxBackoff >= initialBackoff else { throw invalid("maxBackoff must be at least initialBackoff") }
        guard backoffMultiplier.isFinite, backoffMultiplier >= 1 else {
            throw invalid("backoffMultiplier must be at least 1, not \(backoffMultiplier)")
        }
        guard maxServerDelay >= .zero else { throw invalid("maxServerDelay must not be negative") }
        self.init(
            unchecked: maxAttempts, initialBackoff, maxBackoff, backoffMultiplier, jitter, retryableStatuses,
            retryableErrorCodes, honorsShouldRetryHeader, maxServerDelay)
    }

    private init(
        unchecked maxAttempts: Int, _ initialBackoff: Duration, _ maxBackoff: Duration, _ backoffMultiplier: Double,
        _ jitter: Jitter, _ retryableStatuses: Set<Int>, _ retryableErrorCodes: Set<SluiceError.Code>,
        _ honorsShouldRetryHeader: Bool, _ maxServerDelay: Duration
    ) {
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.backoffMultiplier = backoffMultiplier
        self.jitter = jitter
        self.retryableStatuses = retryableStatuses
        self.retryableErrorCodes = retryableErrorCodes
        self.honorsShouldRetryHeader = honorsShouldRetryHeader
        self.maxServerDelay = maxServerDelay
    }

    /// The defaults described above.
    public static let `default` = RetryPolicy(
        unchecked: 3, .milliseconds(500), .seconds(8), 2, .full, defaultRetryableStatuses, defaultRetryableErrorCodes,
        true, .seconds(60))

    /// One attempt, never retried.
    public static let disabled = RetryPolicy(
        unchecked: 1, .milliseconds(500), .seconds(8), 2, .full, defaultRetryableStatuses, defaultRetryableErrorCodes,
        true, .seconds(60))

    /// The backoff base before retry `retry` (1 for the first retry), before jitter.
    public func backoffBase(forRetry retry: Int) -> Duration {
        let initial = Self.seconds(initialBackoff)
        let cap = Self.seconds(maxBackoff)
        let exponent = Double(max(retry, 1) - 1)
        let base = initial * Foundationless.pow(backoffMultiplier, exponent)
        return base.isFinite && base < cap ? .seconds(base) : maxBackoff
    }

    /// The backoff before retry `retry` (1 for the first retry), given `random`, a number drawn
    /// uniformly from `0..<1`.
    public func backoff(forRetry retry: Int, random: Double) -> Duration {
        jitter.apply(to: backoffBase(forRetry: retry), random: random)
    }

    /// Whether a non-2xx answer is retryable by its status and `x-should-retry`; `insufficientQuota`
    /// says whether its body named `insufficient_quota`.
    func isRetryable(status: Int, headers: HTTPHeaders, insufficientQuota: Bool) -> Bool {
        if honorsShouldRetryHeader, let verdict = ServerHeaders.shouldRetry(headers) { return verdict }
        if status == 429 && insufficientQuota { return false }
        return retryableStatuses.contains(status)
    }

    /// Whether a status could be retried depending on its body (a 429 without `x-should-retry`).
    func needsBody(status: Int, headers: HTTPHeaders) -> Bool {
        guard status == 429, retryableStatuses.contains(status) else { return false }
        return !(honorsShouldRetryHeader && ServerHeaders.shouldRetry(headers) != nil)
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}

/// `pow` for a whole-number exponent, without Foundation.
enum Foundationless {
    static func pow(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0
        var count = Int(min(exponent, 1_000))
        while count > 0 {
            result *= base
            if !result.isFinite { return result }
            count -= 1
        }
        return result
    }
}
