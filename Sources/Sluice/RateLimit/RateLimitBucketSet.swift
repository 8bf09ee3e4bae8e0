/// One continuously refilled bucket: `perMinute / 60` units a second, up to `capacity`.
///
/// Mirrors the providers' (and the mock server's) model. `margin` is the headroom kept at admission
/// (see ``RateLimitSafetyMargin``): a request is admitted when the bucket holds its cost plus the
/// margin. For a request so large that cost plus margin exceeds the capacity, the bucket must have
/// stayed full for the missing part's refill time (``surplus`` counts the refill a full bucket
/// could not hold, up to the margin), so the provider's bucket, which may lag a little behind, is
/// full too.
struct RateBucket: Sendable, Hashable {
    /// Comparisons allow this much floating-point slack.
    static let slack = 1e-6

    let perSecond: Double
    let capacity: Double
    let margin: Double
    private(set) var level: Double
    /// Refill that arrived while the bucket was full, at most ``margin``; reset by any charge.
    private(set) var surplus: Double
    private(set) var updatedAt: Duration

    init(perMinute: Int, capacity: Int, margin: RateLimitSafetyMargin, now: Duration) {
        self.perSecond = Double(perMinute) / 60
        self.capacity = Double(capacity)
        self.margin = margin.units(capacity: Double(capacity), perSecond: Double(perMinute) / 60)
        self.level = Double(capacity)
        self.surplus = self.margin
        self.updatedAt = now
    }

    mutating func refill(at now: Duration) {
        guard now > updatedAt else { return }
        let filled = level + (now - updatedAt).rateLimitSeconds * perSecond
        if filled > capacity {
            surplus = min(margin, surplus + filled - capacity)
            level = capacity
        } else {
            level = filled
        }
        updatedAt = now
    }

    /// The level (counting ``surplus``) at which `amount` may be admitted: the amount plus the margin.
    func required(for amount: Double) -> Double {
        amount <= 0 ? 0 : amount + margin
    }

    /// Time from the last refill until the level, counting ``surplus``, reaches `target` (zero if it has).
    func timeUntil(level target: Double) -> Duration {
        let missing = target - (level + surplus)
        guard missing > Self.slack else { return .zero }
        return .rateLimitSeconds(missing / perSecond)
    }

    mutating func take(_ amount: Double) {
        guard amount > 0 else { return }
        level = max(0, level - amount)
        surplus = 0
    }

    mutating func give(_ amount: Double) { level = min(capacity, level + max(0, amount)) }

    mutating func lower(to value: Double) {
        guard value < level + surplus else { return }
        level = max(0, min(level, value))
        surplus = 0
    }
}

/// The buckets of one key (or key and model), its queue and cooldown: the pure core of
/// ``InMemoryRateLimitStore``. Time is passed in.
///
/// The queue is in admission order: by ``CallPriority``, highest first, then by arrival. A request
/// arriving with a higher priority than some waiters goes in ahead of them, so its projected
/// admission counts only the waiters of its priority or higher.
struct RateLimitBucketSet: Sendable {
    struct Queued: Sendable, Hashable {
        var id: UInt64
        var cost: RateLimitCost
        var priority: Int = CallPriority.default.rawValue
    }

    private(set) var limits: RateLimits
    private(set) var requests: RateBucket?
    private(set) var tokens: RateBucket?
    private(set) var inputTokens: RateBucket?
    private(set) var outputTokens: RateBucket?
    var cooldownUntil: Duration = .zero
    private var queue: [Queued] = []
    private var queueHead = 0
    /// The summed cost of the queued requests.
    private(set) var queuedCost = RateLimitCost.zero
    /// The summed cost and the count of the queued requests of each priority, made on first queueing.
    private var queuedByPriority: [(cost: RateLimitCost, count: Int)] = []
    /// Every charge made, summed (refunds not subtracted).
    private(set) var ledger = RateLimitCost.zero
    /// The ledger when each bucket was made, for a bucket made after the set (a limit learned from
    /// the provider): the requests admitted before then were charged to no bucket in its dimension.
    private var ledgerAtCreation = RateLimitCost.zero

    init(limits: RateLimits, margin: RateLimitSafetyMargin, now: Duration) {
        self.limits = limits
        for dimension in RateLimitDimension.every {
            self[bucket: dimension] = dimension.limit(in: limits).map {
                RateBucket(perMinute: $0.perMinute, capacity: $0.capacity, margin: margin, now: now)
            }
        }
    }

    subscript(bucket dimension: RateLimitDimension) -> RateBucket? {
        get {
            switch dimension {
            case .requests: requests
            case .tokens: tokens
            case .inputTokens: inputTokens
            case .outputTokens: outputTokens
            }
        }
        set {
            switch dimension {
            case .requests: requests = newValue
            case .tokens: tokens = newValue
            case .inputTokens: inputTokens = newValue
            case .outputTokens: outputTokens = newValue
            }
        }
    }

    /// Adopts new limits, keeping what the buckets hold (up to their new capacity); a dimension the
    /// new limits leave unlimited keeps its bucket.
    mutating func update(limits newLimits: RateLimits, margin: RateLimitSafetyMargin, now: Duration) {
        guard newLimits != limits else { return }
        refill(at: now)
        let fresh = RateLimitBucketSet(limits: newLimits, margin: margin, now: now)
        for dimension in RateLimitDimension.every {
            var bucket = fresh[bucket: dimension]
            if let old = self[bucket: dimension] {
                // A limit in force is never dropped: a request's candidates may date from before a
                // limit learned from the provider, and a bucket dropped and made again would be full.
                guard bucket != nil else { continue }
                bucket?.lower(to: old.level)
            } else if bucket != nil {
                ledgerAtCreation[dimension] = ledger[dimension]
            }
            self[bucket: dimension] = bucket
        }
        limits = newLimits
    }

    mutating func refill(at now: Duration) {
        requests?.refill(at: now)
        tokens?.refill(at: now)
        inputTokens?.refill(at: now)
        outputTokens?.refill(at: now)
    }

    /// The first dimension in which `cost` exceeds the capacity, so that it can never be admitted.
    func neverFits(_ cost: RateLimitCost) -> (dimension: RateLimitDimension, capacity: Int)? {
        for dimension in RateLimitDimension.every {
            if let bucket = self[bucket: dimension], Double(cost[dimension]) > bucket.capacity + RateBucket.slack {
                return (dimension, Int(bucket.capacity))
            }
        }
        return nil
    }

    /// When `cost` could be admitted after the costs in `ahead` (call after ``refill(at:)``).
    func readyTime(for cost: RateLimitCost, after ahead: RateLimitCost, now: Duration) -> Duration {
        readiness(for: cost, after: ahead, now: now).at
    }

    /// When `cost` could be admitted after `ahead`, and what holds it back the longest: a cooldown,
    /// a bucket, or (nothing else being short) only the requests queued ahead.
    private func readiness(
        for cost: RateLimitCost, after ahead: RateLimitCost, now: Duration
    ) -> (at: Duration, reason: RateLimitWaitNotice.Reason) {
        var ready = now
        var reason = RateLimitWaitNotice.Reason.queue
        if cooldownUntil > ready { (ready, reason) = (cooldownUntil, .cooldown) }
        for dimension in RateLimitDimension.every {
            guard let bucket = self[bucket: dimension] else { continue }
            let amount = Double(cost[dimension])
            let before = Double(ahead[dimension])
            guard amount > 0 || before > 0 else { continue }
            let wait = bucket.timeUntil(level: before + bucket.required(for: amount))
            if wait > .zero, bucket.updatedAt + wait > ready { (ready, reason) = (bucket.updatedAt + wait, .init(dimension)) }
        }
        return (ready, reason)
    }

    /// What holds a request arriving now with `cost` back the longest: a cooldown, a bucket, or only
    /// the requests queued ahead of it.
    func waitReason(for cost: RateLimitCost, priority: Int = CallPriority.default.rawValue, now: Duration)
        -> RateLimitWaitNotice.Reason
    {
        readiness(for: cost, after: queued(atOrAbove: priority), now: now).reason
    }

    /// When a request arriving now with `cost` and `priority` would be admitted, behind everyone
    /// queued with its priority or higher.
    func projectedAdmission(
        of cost: RateLimitCost, priority: Int = CallPriority.default.rawValue, now: Duration
    ) -> Duration {
        readyTime(for: cost, after: queued(atOrAbove: priority), now: now)
    }

    /// The summed cost of the queued requests of `priority` or higher.
    func queued(atOrAbove priority: Int) -> RateLimitCost {
        guard !isQueueEmpty, !queuedByPriority.isEmpty else { return .zero }
        if priority <= 0 { return queuedCost }
        var sum = RateLimitCost.zero
        for level in priority..<CallPriority.count { sum = sum.adding(queuedByPriority[level].cost) }
        return sum
    }

    /// Whether a request of `priority` or higher waits: then a request of `priority` queues behind it.
    func hasQueued(atOrAbove priority: Int) -> Bool {
        guard !isQueueEmpty else { return false }
        return (priority..<CallPriority.count).contains { queuedByPriority[$0].count > 0 }
    }

    /// The last request in the queue (the latest of the lowest priority), if any.
    var tail: Queued? { isQueueEmpty ? nil : queue[queue.count - 1] }

    /// The smallest fraction of capacity any limited dimension holds (1 when nothing is limited).
    var headroom: Double {
        var least = 1.0
        for dimension in RateLimitDimension.every {
            if let bucket = self[bucket: dimension] { least = min(least, bucket.level / bucket.capacity) }
        }
        return least
    }

    var isQueueEmpty: Bool { queueHead == queue.count }
    var waitingCount: Int { queue.count - queueHead }

    /// Charges `cost` (call when ``readyTime(for:after:now:)`` has come).
    mutating func admit(_ cost: RateLimitCost, id: UInt64, bucketID: RateLimitBucketID, now: Duration) -> RateLimitReservation {
        for dimension in RateLimitDimension.every where cost[dimension] > 0 {
            self[bucket: dimension]?.take(Double(cost[dimension]))
            ledger[dimension] &+= cost[dimension]
        }
        return RateLimitReservation(
            id: RateLimitReservation.ID(rawValue: id), bucket: bucketID, cost: cost, admittedAt: now, ledgerMark: ledger)
    }

    /// Queues a request behind every queued request of its priority or higher, ahead of the rest.
    mutating func enqueue(id: UInt64, cost: RateLimitCost, priority: Int = CallPriority.default.rawValue) {
        let item = Queued(id: id, cost: cost, priority: priority)
        if let last = queue.last, queueHead < queue.count, last.priority < priority,
            let index = queue[queueHead...].firstIndex(where: { $0.priority < priority })
        {
            queue.insert(item, at: index)
        } else {
            queue.append(item)
        }
        count(item, adding: true)
    }

    /// Adds `item` to the queued totals, or takes it off them.
    private mutating func count(_ item: Queued, adding: Bool) {
        if queuedByPriority.isEmpty {
            queuedByPriority = Array(repeating: (RateLimitCost.zero, 0), count: CallPriority.count)
        }
        if adding {
            queuedCost = queuedCost.adding(item.cost)
            queuedByPriority[item.priority].cost = queuedByPriority[item.priority].cost.adding(item.cost)
            queuedByPriority[item.priority].count += 1
        } else {
            queuedCost = queuedCost.subtracting(item.cost)
            queuedByPriority[item.priority].cost = queuedByPriority[item.priority].cost.subtracting(item.cost)
            queuedByPriority[item.priority].count -= 1
        }
    }

    /// Removes a queued request (a cancelled waiter, one shed); `false` if it is not queued.
    mutating func removeQueued(id: UInt64) -> Bool {
        guard let index = queue[queueHead...].firstIndex(where: { $0.id == id }) else { return false }
        let removed = queue.remove(at: index)
        count(removed, adding: false)
        compact()
        return true
    }

    /// Walks the queue in order and removes each request that could not be admitted by `limit(id)`
    /// any more (its projected admission, behind the requests kept ahead of it, is later). Returns the
    /// removed ids with their projected admission.
    mutating func removeOverdue(now: Duration, limit: (UInt64) -> Duration?) -> [(id: UInt64, admission: Duration)] {
        guard !isQueueEmpty else { return [] }
        refill(at: now)
        var ahead = RateLimitCost.zero
        var kept: [Queued] = []
        var removed: [(id: UInt64, admission: Duration)] = []
        for item in queue[queueHead...] {
            let admission = readyTime(for: item.cost, after: ahead, now: now)
            if let limit = limit(item.id), admission > limit {
                removed.append((item.id, admission))
                continue
            }
            kept.append(item)
            for dimension in RateLimitDimension.every {
                ahead[dimension] = ahead[dimension].saturatingAdding(item.cost[dimension])
            }
        }
        guard !removed.isEmpty else { return [] }
        queue = []
        queueHead = 0
        queuedCost = .zero
        queuedByPriority = []
        for item in kept {
            queue.append(item)
            count(item, adding: true)
        }
        return removed
    }

    /// The first queued request, if any.
    var head: Queued? { isQueueEmpty ? nil : queue[queueHead] }

    /// Admits queued requests from the head, in order, while they fit now.
    mutating func pump(now: Duration, bucketID: RateLimitBucketID, admitted: (UInt64, RateLimitReservation) -> Void) {
        refill(at: now)
        while let first = head, readyTime(for: first.cost, after: .zero, now: now) <= now {
            queueHead += 1
            count(first, adding: false)
            admitted(first.id, admit(first.cost, id: first.id, bucketID: bucketID, now: now))
        }
        compact()
    }

    /// When the head of the queue can be admitted, or `nil` when nobody waits.
    func headReadyTime(now: Duration) -> Duration? {
        head.map { readyTime(for: $0.cost, after: .zero, now: now) }
    }

    private mutating func compact() {
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
        } else if queueHead > 64, queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
    }

    /// Settles a reservation to `charge`: credits or debits the difference.
    mutating func settle(_ reservation: RateLimitReservation, charge: RateLimitCost, now: Duration) {
        refill(at: now)
        for dimension in RateLimitDimension.every {
            let delta = charge[dimension].saturatingSubtracting(reservation.cost[dimension])
            if delta > 0 {
                self[bucket: dimension]?.take(Double(delta))
                if self[bucket: dimension] != nil { ledger[dimension] &+= delta }
            } else if delta < 0 {
                self[bucket: dimension]?.give(Double(-delta))
            }
        }
    }

    /// Lowers each bucket that holds more than the provider reported allows: to the reported
    /// remaining plus the refill since the reservation's admission. Returns whether anything was
    /// lowered.
    ///
    /// The rule is sound because it reads the report optimistically. A reply's `remaining` is the
    /// provider's budget as of when it processed this request, and it may count any of the
    /// requests admitted here since, or none of them: a provider handles requests concurrently and
    /// in its own order, and its replies arrive in any order. Subtracting the charges made here
    /// since would count twice those it had already counted, and, corrections only ever lowering,
    /// every such error would stick and waste capacity. Taking the report to count all of them, the
    /// provider's true remaining now is at most the report plus the refill since it processed the
    /// request (after the admission), less what it counted since; so a corrected bucket never drops
    /// below the provider's true remaining (a count the provider rounds down lowers it by at most
    /// the rounding unit). The requests admitted here and not yet counted there are already
    /// charged locally, so no capacity is lost to them either. What the correction catches is what
    /// others spent on the key (another process, another client); what it may leave is at most
    /// what the provider counted while this reply travelled, and a 429 (cooldown, retry-after)
    /// stays the backstop for that. Every dimension follows the same rule: requests, tokens,
    /// Anthropic's input and output tokens.
    ///
    /// One exception: a bucket made after the reservation (a limit learned from the provider) was
    /// never charged for the requests admitted between the reservation and the bucket's making, so
    /// they are subtracted from the report here. That may count some twice, once, for the requests
    /// in flight when the limit was learned; refill makes up for it, and the 429s of a second burst
    /// would cost more.
    @discardableResult
    mutating func correct(_ reservation: RateLimitReservation, with remaining: RateLimitObservation.Remaining, now: Duration) -> Bool {
        refill(at: now)
        let elapsed = max(.zero, now - reservation.admittedAt).rateLimitSeconds
        var lowered = false
        for dimension in RateLimitDimension.every {
            guard let reported = remaining[dimension], var bucket = self[bucket: dimension] else { continue }
            let uncharged = max(0, ledgerAtCreation[dimension].saturatingSubtracting(reservation.ledgerMark[dimension]))
            let corrected = Double(reported) + elapsed * bucket.perSecond - Double(uncharged)
            if corrected < bucket.level - RateBucket.slack {
                bucket.lower(to: corrected)
                self[bucket: dimension] = bucket
                lowered = true
            }
        }
        return lowered
    }

    func state(now: Duration) -> RateLimitBucketState {
        var copy = self
        copy.refill(at: now)
        var available: [RateLimitDimension: Double] = [:]
        for dimension in RateLimitDimension.every {
            if let bucket = copy[bucket: dimension] { available[dimension] = bucket.level }
        }
        return RateLimitBucketState(
            available: available, cooldownUntil: cooldownUntil > now ? cooldownUntil : nil, waiting: waitingCount)
    }
}

extension RateLimitDimension {
    /// Every dimension, built once (a synthesized `allCases` builds a new array on each use).
    package static let every: [RateLimitDimension] = allCases
}

extension RateLimitWaitNotice.Reason {
    package init(_ dimension: RateLimitDimension) {
        switch dimension {
        case .requests: self = .requests
        case .tokens: self = .tokens
        case .inputTokens: self = .inputTokens
        case .outputTokens: self = .outputTokens
        }
    }
}

extension RateLimitCost {
    /// The sum in every dimension, saturating.
    func adding(_ other: RateLimitCost) -> RateLimitCost {
        var sum = self
        for dimension in RateLimitDimension.every { sum[dimension] = sum[dimension].saturatingAdding(other[dimension]) }
        return sum
    }

    /// The difference in every dimension, saturating.
    func subtracting(_ other: RateLimitCost) -> RateLimitCost {
        var difference = self
        for dimension in RateLimitDimension.every {
            difference[dimension] = difference[dimension].saturatingSubtracting(other[dimension])
        }
        return difference
    }
}
