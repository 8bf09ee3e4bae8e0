import Sluice

/// What `sluice bench --report` plots over time: per-interval counts of calls, 429 answers,
/// retries and tokens, and what each key was used for.
///
/// Bounded however long the run: at most ``maxBuckets`` buckets, one second wide to begin with;
/// when a time falls past the last one, neighbouring buckets are merged in pairs and the width
/// doubles (so a ten-hour soak keeps 600 buckets of a minute or so). At most ``maxKeys`` keys are
/// told apart; later ones are counted under ``otherKey``.
struct BenchTimeline: Sendable, Equatable {
    /// One interval's counts.
    struct Bucket: Sendable, Equatable {
        var started = 0
        var completed = 0
        var failed = 0
        var rateLimited = 0
        var retries = 0
        var inputTokens = 0
        var outputTokens = 0

        mutating func merge(_ other: Bucket) {
            started = BenchTimeline.sum(started, other.started)
            completed = BenchTimeline.sum(completed, other.completed)
            failed = BenchTimeline.sum(failed, other.failed)
            rateLimited = BenchTimeline.sum(rateLimited, other.rateLimited)
            retries = BenchTimeline.sum(retries, other.retries)
            inputTokens = BenchTimeline.sum(inputTokens, other.inputTokens)
            outputTokens = BenchTimeline.sum(outputTokens, other.outputTokens)
        }
    }

    /// What one key (by its label or id, never the key) was used for.
    struct KeyUse: Sendable, Equatable {
        var attempts = 0
        var succeeded = 0
        var inputTokens = 0
        var outputTokens = 0
    }

    /// The most buckets kept.
    static let maxBuckets = 600
    /// The most keys told apart.
    static let maxKeys = 64
    /// Where the keys past ``maxKeys`` are counted.
    static let otherKey = "(other keys)"

    /// Seconds each bucket spans (1, 2, 4, …).
    private(set) var bucketSeconds: Int64 = 1
    private(set) var buckets: [Bucket] = []
    private(set) var keys: [String: KeyUse] = [:]
    /// The limits per minute the provider's headers set, by dimension (`requests`, `tokens`,
    /// `input_tokens`, `output_tokens`) and key.
    private(set) var learnedLimits: [String: [String: Int]] = [:]

    /// Adds `change` to the bucket of `elapsed` (time since the run began; negative counts as 0).
    mutating func record(at elapsed: Duration, _ change: (inout Bucket) -> Void) {
        let second = max(0, elapsed.components.seconds)
        var index = second / bucketSeconds
        while index >= Int64(Self.maxBuckets) {
            coarsen()
            index = second / bucketSeconds
        }
        let slot = Int(index)
        if buckets.count <= slot {
            buckets.append(contentsOf: repeatElement(Bucket(), count: slot + 1 - buckets.count))
        }
        change(&buckets[slot])
    }

    /// Adds `change` to `key`'s use (``otherKey`` once ``maxKeys`` are known).
    mutating func recordKey(_ key: String, _ change: (inout KeyUse) -> Void) {
        let name = keys[key] != nil || keys.count < Self.maxKeys ? key : Self.otherKey
        change(&keys[name, default: KeyUse()])
    }

    /// Notes the limit the provider's headers set for `key` in `dimension`.
    mutating func recordLearnedLimit(_ limit: Int, dimension: String, key: String) {
        guard learnedLimits[dimension]?[key] != nil || (learnedLimits[dimension]?.count ?? 0) < Self.maxKeys else {
            return
        }
        learnedLimits[dimension, default: [:]][key] = max(0, limit)
    }

    /// The pool's learned limit per minute in `dimension` (the keys' learned limits added), or
    /// `nil` when none was learned.
    func learnedPoolLimit(_ dimension: String) -> Int? {
        guard let limits = learnedLimits[dimension], !limits.isEmpty else { return nil }
        return limits.values.reduce(0, Self.sum)
    }

    /// Halves the number of buckets: each pair becomes one, twice as wide.
    private mutating func coarsen() {
        var merged: [Bucket] = []
        merged.reserveCapacity(Self.maxBuckets / 2 + 1)
        var index = 0
        while index < buckets.count {
            var bucket = buckets[index]
            if index + 1 < buckets.count { bucket.merge(buckets[index + 1]) }
            merged.append(bucket)
            index += 2
        }
        buckets = merged
        bucketSeconds = bucketSeconds > Int64.max / 2 ? Int64.max : bucketSeconds * 2
    }

    /// `a + b`, held at `Int.max` (a hostile usage count must not trap the bench).
    static func sum(_ a: Int, _ b: Int) -> Int {
        let (total, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b < 0 ? .min : .max) : total
    }
}
