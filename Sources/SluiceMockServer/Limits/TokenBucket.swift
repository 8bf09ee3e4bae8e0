/// A token bucket refilled continuously: `perMinute / 60` units per second up to `capacity`.
///
/// Pure value type; time comes from the caller, so it is tested by passing instants.
struct TokenBucket: Sendable, Hashable {
    /// Comparisons allow this much floating-point slack, so that waiting exactly the announced
    /// retry delay always suffices.
    static let slack = 1e-6

    let perMinute: Int
    let capacity: Double
    let perSecond: Double
    private(set) var level: Double
    private(set) var updatedAt: Duration

    init(perMinute: Int, capacity: Int?, now: Duration) {
        self.perMinute = perMinute
        self.capacity = Double(capacity ?? perMinute)
        self.perSecond = Double(perMinute) / 60
        self.level = self.capacity
        self.updatedAt = now
    }

    mutating func refill(at now: Duration) {
        guard now > self.updatedAt else { return }
        let elapsed = (now - self.updatedAt).seconds
        self.level = min(self.capacity, self.level + elapsed * self.perSecond)
        self.updatedAt = now
    }

    func holds(_ amount: Double) -> Bool {
        self.level + Self.slack >= amount
    }

    mutating func take(_ amount: Double) {
        self.level = max(0, self.level - amount)
    }

    /// Puts `amount` back, up to the capacity (a reservation that was not used).
    mutating func give(_ amount: Double) {
        self.level = min(self.capacity, self.level + max(0, amount))
    }

    /// Whole units available (`x-ratelimit-remaining-*`).
    var remaining: Int {
        Int((self.level + Self.slack).rounded(.down))
    }

    /// Time until the bucket holds `amount` (zero if it already does).
    func timeUntil(holding amount: Double) -> Duration {
        let missing = amount - self.level
        guard missing > Self.slack else { return .zero }
        return Duration(seconds: missing / self.perSecond)
    }

    /// Time until the bucket is full again (`x-ratelimit-reset-*`).
    var timeUntilFull: Duration {
        self.timeUntil(holding: self.capacity)
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (s, attoseconds) = self.components
        return Double(s) + Double(attoseconds) * 1e-18
    }

    /// A duration from seconds, rounded up to the nanosecond.
    init(seconds: Double) {
        self = .nanoseconds(Int64((seconds * 1e9).rounded(.up)))
    }

    /// Whole milliseconds, rounded up.
    var millisecondsRoundedUp: Int64 {
        let (s, attoseconds) = self.components
        let perMillisecond: Int64 = 1_000_000_000_000_000
        let (ms, rest) = attoseconds.quotientAndRemainder(dividingBy: perMillisecond)
        return s * 1000 + ms + (rest > 0 ? 1 : 0)
    }
}
