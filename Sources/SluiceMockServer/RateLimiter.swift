/// Per-key request and token buckets; the pure core of the mock server's limits.
///
/// Not thread-safe: the server keeps it inside its state lock. Time is passed in, so tests drive
/// it with plain `Duration` values.
struct RateLimiter: Sendable {
    private struct Buckets: Sendable {
        var requests: TokenBucket?
        var tokens: TokenBucket?
    }

    private var buckets: [String: Buckets] = [:]

    /// Admits or rejects one request of `cost` tokens for the key named `key`.
    mutating func admit(key: String, limits: MockRateLimits, cost: Int, now: Duration) -> RateLimitDecision {
        var entry =
            self.buckets[key]
            ?? Buckets(
                requests: limits.requestsPerMinute.map {
                    TokenBucket(perMinute: $0, capacity: limits.requestBurst, now: now)
                },
                tokens: limits.tokensPerMinute.map { TokenBucket(perMinute: $0, capacity: limits.tokenBurst, now: now) }
            )
        entry.requests?.refill(at: now)
        entry.tokens?.refill(at: now)
        defer { self.buckets[key] = entry }

        let cost = Double(max(0, cost))
        if let tokens = entry.tokens, cost > tokens.capacity + TokenBucket.slack {
            return .rejected(
                RateLimitRejection(
                    status: RateLimitStatus(entry.requests, entry.tokens), dimension: .tokens,
                    retryAfter: nil, limit: tokens.perMinute, requested: Int(cost)
                ))
        }
        if let requests = entry.requests, !requests.holds(1) {
            return .rejected(
                RateLimitRejection(
                    status: RateLimitStatus(entry.requests, entry.tokens), dimension: .requests,
                    retryAfter: requests.timeUntil(holding: 1), limit: requests.perMinute, requested: 1
                ))
        }
        if let tokens = entry.tokens, !tokens.holds(cost) {
            return .rejected(
                RateLimitRejection(
                    status: RateLimitStatus(entry.requests, entry.tokens), dimension: .tokens,
                    retryAfter: tokens.timeUntil(holding: cost), limit: tokens.perMinute, requested: Int(cost)
                ))
        }
        entry.requests?.take(1)
        entry.tokens?.take(cost)
        return .admitted(RateLimitStatus(entry.requests, entry.tokens))
    }

    /// Forgets every bucket (they start full again).
    mutating func reset() {
        self.buckets.removeAll()
    }
}

/// The outcome of ``RateLimiter/admit(key:limits:cost:now:)``.
enum RateLimitDecision: Sendable, Equatable {
    case admitted(RateLimitStatus)
    case rejected(RateLimitRejection)
}

/// Which bucket refused a request.
enum RateLimitDimension: String, Sendable, Equatable {
    case requests
    case tokens
}

/// Why a request was refused, and what to tell the client.
struct RateLimitRejection: Sendable, Equatable {
    var status: RateLimitStatus
    var dimension: RateLimitDimension
    /// `nil` when the request can never be admitted (larger than the bucket).
    var retryAfter: Duration?
    /// The per-minute limit of the refusing bucket.
    var limit: Int
    /// What the request asked for (1 request, or its token cost).
    var requested: Int

    var isTooLarge: Bool { self.retryAfter == nil }
}

/// What the `x-ratelimit-*` headers report; a `nil` dimension has no limit and no headers.
struct RateLimitStatus: Sendable, Equatable {
    struct Dimension: Sendable, Equatable {
        var limit: Int
        var remaining: Int
        var reset: Duration
    }

    var requests: Dimension?
    var tokens: Dimension?

    init(requests: Dimension?, tokens: Dimension?) {
        self.requests = requests
        self.tokens = tokens
    }

    init(_ requests: TokenBucket?, _ tokens: TokenBucket?) {
        self.requests = requests.map {
            Dimension(limit: $0.perMinute, remaining: $0.remaining, reset: $0.timeUntilFull)
        }
        self.tokens = tokens.map { Dimension(limit: $0.perMinute, remaining: $0.remaining, reset: $0.timeUntilFull) }
    }

    static let unlimited = RateLimitStatus(requests: nil, tokens: nil)
}
