import Synchronization

extension RateLimits {
    /// These limits with the provider's own applied: a dimension left unlimited, or limited above
    /// what the provider allows, takes the provider's limit per minute, with a capacity of that limit
    /// (or a smaller configured burst). A dimension configured at or below the provider's limit stays.
    public func tightened(by server: RateLimitObservation.Remaining) -> RateLimits {
        var result = self
        for dimension in RateLimitDimension.every {
            guard let limit = server[dimension], limit > 0 else { continue }
            let (perMinute, burst) = dimension.fields
            if let configured = result[keyPath: perMinute], configured <= limit { continue }
            result[keyPath: perMinute] = limit
            result[keyPath: burst] = min(result[keyPath: burst] ?? limit, limit)
        }
        return result
    }
}

extension RateLimitDimension {
    /// The per-minute limit and burst fields of this dimension in ``RateLimits``.
    var fields: (perMinute: WritableKeyPath<RateLimits, Int?>, burst: WritableKeyPath<RateLimits, Int?>) {
        switch self {
        case .requests: (\.requestsPerMinute, \.requestBurst)
        case .tokens: (\.tokensPerMinute, \.tokenBurst)
        case .inputTokens: (\.inputTokensPerMinute, \.inputTokenBurst)
        case .outputTokens: (\.outputTokensPerMinute, \.outputTokenBurst)
        }
    }
}

/// What a rate limiter learned from its provider's headers, per bucket set: the limits the provider
/// gave, and how many 429s in a row came without a delay to honour (for the cooldown's backoff).
final class LearnedRateLimits: Sendable {
    /// One dimension whose limit in force changed.
    struct Change: Sendable, Hashable {
        var dimension: RateLimitDimension
        var limit: Int
        /// The per-minute limit in force before, `nil` when the dimension was unlimited.
        var previous: Int?
    }

    private struct Entry {
        var limit = RateLimitObservation.Remaining()
        var rejections = 0
    }

    private let entries = Mutex<[RateLimitBucketID: Entry]>([:])
    /// Whether anything was recorded: until then candidates pass through untouched, with no lock.
    private let learnedAny = Atomic<Bool>(false)

    /// The candidates with the limits learned for their bucket sets applied.
    func applied(to candidates: [RateLimitCandidate]) -> [RateLimitCandidate] {
        guard learnedAny.load(ordering: .relaxed) else { return candidates }
        return entries.withLock { entries in
            candidates.map { candidate in
                guard let learned = entries[candidate.bucket]?.limit, !learned.isEmpty else { return candidate }
                return RateLimitCandidate(bucket: candidate.bucket, limits: candidate.limits.tightened(by: learned))
            }
        }
    }

    /// Records the limits an answer on `configured`'s bucket set gave (values already checked) and
    /// returns the candidate with every learned limit applied, and what that changed in force.
    func record(
        _ limit: RateLimitObservation.Remaining, for configured: RateLimitCandidate
    ) -> (candidate: RateLimitCandidate, changes: [Change]) {
        guard !limit.isEmpty else { return (configured, []) }
        let (before, after): (RateLimitObservation.Remaining, RateLimitObservation.Remaining) = entries.withLock { entries in
            let before = entries[configured.bucket]?.limit ?? .init()
            var after = before
            for dimension in RateLimitDimension.every {
                if let value = limit[dimension] { after[dimension] = value }
            }
            entries[configured.bucket, default: Entry()].limit = after
            return (before, after)
        }
        learnedAny.store(true, ordering: .relaxed)
        let old = configured.limits.tightened(by: before)
        let new = configured.limits.tightened(by: after)
        var changes: [Change] = []
        for dimension in RateLimitDimension.every {
            let field = dimension.fields.perMinute
            if let now = new[keyPath: field], now != old[keyPath: field] {
                changes.append(Change(dimension: dimension, limit: now, previous: old[keyPath: field]))
            }
        }
        return (RateLimitCandidate(bucket: configured.bucket, limits: new), changes)
    }

    /// Counts a 429 on `bucket` that named no delay and returns how many came in a row.
    func rejected(_ bucket: RateLimitBucketID) -> Int {
        entries.withLock { entries in
            let count = (entries[bucket]?.rejections ?? 0).saturatingAdding(1)
            entries[bucket, default: Entry()].rejections = count
            learnedAny.store(true, ordering: .relaxed)
            return count
        }
    }

    /// Ends a run of 429s on `bucket` (an answer got through).
    func accepted(_ bucket: RateLimitBucketID) {
        guard learnedAny.load(ordering: .relaxed) else { return }
        entries.withLock { entries in
            if entries[bucket]?.rejections ?? 0 > 0 { entries[bucket]?.rejections = 0 }
        }
    }

    /// The cooldown after the `count`th 429 in a row that named no delay and no reset: 1 s, doubled
    /// each time, at most `cap`.
    static func backoff(after count: Int, cap: Duration) -> Duration {
        let exponent = min(max(count, 1) - 1, 16)
        return min(cap, .seconds(1 << exponent))
    }
}
