/// Headroom the rate limiter keeps in each bucket at admission, so that a client configured with
/// exactly the provider's limits sees no 429 despite network jitter.
///
/// A request is admitted when each bucket it spends holds its cost plus the margin (never more than
/// the bucket's capacity, so a request that fits an empty queue and a full bucket always goes). The
/// margin of a bucket is the larger of ``fractionOfCapacity`` of its capacity and
/// ``refillTime`` worth of refill: it covers requests that reach the provider in a slightly
/// different rhythm than they left.
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

    /// 2 % of the capacity, or 250 ms of refill when that is more.
    public static let `default` = RateLimitSafetyMargin(fractionOfCapacity: 0.02, refillTime: .milliseconds(250))

    /// No margin.
    public static let none = RateLimitSafetyMargin(fractionOfCapacity: 0, refillTime: .zero)

    /// The margin, in units, of a bucket with this capacity and refill rate.
    func units(capacity: Double, perSecond: Double) -> Double {
        max(capacity * fractionOfCapacity, perSecond * refillTime.rateLimitSeconds)
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var rateLimitSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    /// A duration from seconds, rounded up to the nanosecond, saturating far in the future.
    static func rateLimitSeconds(_ seconds: Double) -> Duration {
        guard seconds.isFinite else { return .seconds(Int64.max / 2) }
        if seconds > 1e9 { return .seconds(Int64(1e9)) }
        return .nanoseconds(Int64((seconds * 1e9).rounded(.up)))
    }
}
