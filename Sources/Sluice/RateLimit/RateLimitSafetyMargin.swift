/// Headroom the rate limiter keeps in each bucket at admission, so that a client configured with
/// exactly the provider's limits sees no 429 despite network jitter.
///
/// A request is admitted when each bucket it spends holds its cost plus the margin (never more than
/// the bucket's capacity, so a request that fits an empty queue and a full bucket always goes). The
/// margin of a bucket is the larger of ``fractionOfCapacity`` of its capacity and
/// ``refillTime`` worth of refill: it covers requests that reach the provider in a slightly
/// different rhythm than they left.
///
/// Why refill time: requests the client sends in a rhythm its buckets allow reach the provider's
/// counter after delays that vary, and a bucket that holds over any window of sent requests can be
/// short, over the window they arrive in, by the refill of the spread between the shortest and the
/// longest delay. So the margin needed is that spread's worth of refill, whatever the bucket's size,
/// and it costs a run that spread once (the client's buckets run that far behind the provider's),
/// not a share of the run. Measured on loopback (`scripts/bench --pacing`, 200 calls at 20 a second
/// after a burst of 100, 1 to 128 callers): no margin drew 429s; 50 ms of refill drew none. The
/// default of 250 ms leaves room for a real network's spread.
///
/// ```swift
/// var configuration = RateLimitMiddleware.Configuration(keys: keys)
/// configuration.safetyMargin = RateLimitSafetyMargin(fractionOfCapacity: 0.05, refillTime: .milliseconds(500))
/// configuration.safetyMargin = .none      // trust the configured limits exactly
/// ```
public struct RateLimitSafetyMargin: Sendable, Hashable {
    /// The margin as a fraction of the bucket's capacity (0.02 is 2 %).
    public var fractionOfCapacity: Double
    /// The margin as the refill of this long.
    public var refillTime: Duration

    public init(fractionOfCapacity: Double, refillTime: Duration) {
        self.fractionOfCapacity = max(0, fractionOfCapacity)
        self.refillTime = max(.zero, refillTime)
    }

    /// 250 ms of refill (a bucket of 600 requests a minute keeps 2.5 requests; one of 1,000,000
    /// tokens a minute keeps about 4,167 tokens). Before this release it was 2 % of the capacity when that
    /// was more, which cost every run 1.2 s of a minute-sized bucket's refill.
    public static let `default` = RateLimitSafetyMargin(fractionOfCapacity: 0, refillTime: .milliseconds(250))

    /// No margin.
    public static let none = RateLimitSafetyMargin(fractionOfCapacity: 0, refillTime: .zero)

    /// The margin, in units, of a bucket with this capacity and refill rate.
    package func units(capacity: Double, perSecond: Double) -> Double {
        max(capacity * fractionOfCapacity, perSecond * refillTime.rateLimitSeconds)
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    package var rateLimitSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    /// A duration from seconds, rounded up to the nanosecond, saturating far in the future.
    package static func rateLimitSeconds(_ seconds: Double) -> Duration {
        guard seconds.isFinite else { return .seconds(Int64.max / 2) }
        if seconds > 1e9 { return .seconds(Int64(1e9)) }
        return .nanoseconds(Int64((seconds * 1e9).rounded(.up)))
    }
}
