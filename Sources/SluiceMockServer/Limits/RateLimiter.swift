/// Per-key request and token buckets; the pure core of the mock server's limits.
///
/// Not thread-safe: the server keeps it inside its state lock. Time is passed in, so tests drive
/// it with plain `Duration` values.
struct RateLimiter: Sendable {
    private struct Buckets: Sendable {
        var requests: TokenBucket?
        var tokens: TokenBucket?
        var inputTokens: TokenBucket?
        var outputTokens: TokenBucket?
        /// The limits the buckets were made for; other limits (switched at run time) make new buckets.
        let limits: MockRateLimits

        init(limits: MockRateLimits, now: Duration) {
            self.limits = limits
            self.requests = limits.requestsPerMinute.map {
                TokenBucket(perMinute: $0, capacity: limits.requestBurst, now: now)
            }
            self.tokens = limits.tokensPerMinute.map {
                TokenBucket(perMinute: $0, capacity: limits.tokenBurst, now: now)
            }
            self.inputTokens = limits.inputTokensPerMinute.map {
                TokenBucket(perMinute: $0, capacity: limits.inputTokenBurst, now: now)
            }
            self.outputTokens = limits.outputTokensPerMinute.map {
                TokenBucket(perMinute: $0, capacity: limits.outputTokenBurst, now: now)
            }
        }

        mutating func refill(at now: Duration) {
            self.requests?.refill(at: now)
            self.tokens?.refill(at: now)
            self.inputTokens?.refill(at: now)
            self.outputTokens?.refill(at: now)
        }

        var status: RateLimitStatus {
            RateLimitStatus(
                requests: self.requests.map(RateLimitStatus.Dimension.init),
                tokens: self.tokens.map(RateLimitStatus.Dimension.init),
                inputTokens: self.inputTokens.map(RateLimitStatus.Dimension.init),
                outputTokens: self.outputTokens.map(RateLimitStatus.Dimension.init)
            )
        }
    }

    private var buckets: [String: Buckets] = [:]

    /// Admits or rejects one request of `cost` tokens (from the OpenAI token bucket) for the key named `key`.
    mutating func admit(key: String, limits: MockRateLimits, cost: Int, now: Duration) -> RateLimitDecision {
        self.admit(key: key, limits: limits, cost: RateLimitCost(tokens: cost), now: now)
    }

    /// Admits or rejects one request for the key named `key`: a request needs 1 from the request
    /// bucket and each part of `cost` from its token bucket (a dimension without a bucket is free).
    mutating func admit(key: String, limits: MockRateLimits, cost: RateLimitCost, now: Duration) -> RateLimitDecision {
        var entry = self.buckets[key] ?? Buckets(limits: limits, now: now)
        if entry.limits != limits {
            // The key's limits were switched: start from full buckets of the new sizes.
            entry = Buckets(limits: limits, now: now)
        }
        entry.refill(at: now)
        defer { self.buckets[key] = entry }

        let tokenCosts: [(TokenBucket?, Double, RateLimitDimension)] = [
            (entry.tokens, Double(max(0, cost.tokens)), .tokens),
            (entry.inputTokens, Double(max(0, cost.inputTokens)), .inputTokens),
            (entry.outputTokens, Double(max(0, cost.outputTokens)), .outputTokens),
        ]
        for (bucket, amount, dimension) in tokenCosts {
            if let bucket, amount > bucket.capacity + TokenBucket.slack {
                return .rejected(
                    RateLimitRejection(
                        status: entry.status, dimension: dimension, retryAfter: nil, limit: bucket.perMinute,
                        requested: Int(amount)))
            }
        }
        if let requests = entry.requests, !requests.holds(1) {
            return .rejected(
                RateLimitRejection(
                    status: entry.status, dimension: .requests, retryAfter: requests.timeUntil(holding: 1),
                    limit: requests.perMinute, requested: 1))
        }
        for (bucket, amount, dimension) in tokenCosts {
            if let bucket, !bucket.holds(amount) {
                return .rejected(
                    RateLimitRejection(
                        status: entry.status, dimension: dimension, retryAfter: bucket.timeUntil(holding: amount),
                        limit: bucket.perMinute, requested: Int(amount)))
            }
        }
        entry.requests?.take(1)
        entry.tokens?.take(tokenCosts[0].1)
        entry.inputTokens?.take(tokenCosts[1].1)
        entry.outputTokens?.take(tokenCosts[2].1)
        return .admitted(entry.status)
    }

    /// Reconciles an output-token reservation: credits `refund` tokens to the key's output bucket
    /// (up to its capacity), or debits them when negative (down to empty).
    mutating func refundOutputTokens(key: String, _ refund: Int, now: Duration) {
        guard refund != 0, var entry = self.buckets[key], entry.outputTokens != nil else { return }
        entry.refill(at: now)
        if refund > 0 {
            entry.outputTokens?.give(Double(refund))
        } else {
            entry.outputTokens?.take(Double(-refund))
        }
        self.buckets[key] = entry
    }

    /// Forgets every bucket (they start full again).
    mutating func reset() {
        self.buckets.removeAll()
    }
}

/// What one request takes from a key's token buckets (besides 1 from the request bucket).
struct RateLimitCost: Sendable, Equatable {
    /// From the OpenAI token bucket (``MockRateLimits/tokensPerMinute``).
    var tokens: Int = 0
    /// From the input-token bucket (``MockRateLimits/inputTokensPerMinute``).
    var inputTokens: Int = 0
    /// From the output-token bucket (``MockRateLimits/outputTokensPerMinute``).
    var outputTokens: Int = 0

    /// All the tokens charged, for ``MockServerStats/KeyStats/tokensCharged``.
    var total: Int { max(0, self.tokens) + max(0, self.inputTokens) + max(0, self.outputTokens) }
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
    case inputTokens = "input_tokens"
    case outputTokens = "output_tokens"
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

    /// The refusing bucket's state.
    var refusingDimension: RateLimitStatus.Dimension? {
        switch self.dimension {
        case .requests: self.status.requests
        case .tokens: self.status.tokens
        case .inputTokens: self.status.inputTokens
        case .outputTokens: self.status.outputTokens
        }
    }
}

/// What the rate-limit headers report; a `nil` dimension has no limit and no headers.
struct RateLimitStatus: Sendable, Equatable {
    struct Dimension: Sendable, Equatable {
        var limit: Int
        var remaining: Int
        var reset: Duration

        init(limit: Int, remaining: Int, reset: Duration) {
            self.limit = limit
            self.remaining = remaining
            self.reset = reset
        }

        init(_ bucket: TokenBucket) {
            self.init(limit: bucket.perMinute, remaining: bucket.remaining, reset: bucket.timeUntilFull)
        }
    }

    var requests: Dimension?
    var tokens: Dimension?
    var inputTokens: Dimension?
    var outputTokens: Dimension?

    init(requests: Dimension?, tokens: Dimension?, inputTokens: Dimension? = nil, outputTokens: Dimension? = nil) {
        self.requests = requests
        self.tokens = tokens
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }

    init(_ requests: TokenBucket?, _ tokens: TokenBucket?) {
        self.init(requests: requests.map(Dimension.init), tokens: tokens.map(Dimension.init))
    }

    /// Anthropic's combined `anthropic-ratelimit-tokens-*`: the most restrictive of the input and
    /// output dimensions, the one with fewer tokens remaining (input on a tie).
    var mostRestrictiveTokens: Dimension? {
        switch (self.inputTokens, self.outputTokens) {
        case (let input?, let output?): output.remaining < input.remaining ? output : input
        case (let input?, nil): input
        case (nil, let output?): output
        case (nil, nil): nil
        }
    }

    static let unlimited = RateLimitStatus(requests: nil, tokens: nil)
}
