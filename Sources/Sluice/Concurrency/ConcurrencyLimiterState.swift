/// The admission rules of ``ConcurrencyLimitMiddleware``, as a pure state machine (no locks, no
/// tasks): counts in flight per key and in total, and per key one FIFO queue of waiters per
/// ``CallPriority``.
///
/// Admission: a request is admitted when its key and the client-wide pool both have room and no
/// waiter of its priority or higher waits for its key. Waiters are admitted by priority, then in
/// arrival order, among those that can be: a waiter whose own key is full does not hold up waiters
/// for other keys, but when the client-wide pool is full nobody passes a waiter of its priority or
/// higher. So a waiter is never starved by its own priority or lower: everything of that priority
/// that arrived before it is admitted or gone first. Waiters of a lower priority wait while higher
/// ones keep arriving.
///
/// With ``AdmissionQueuePolicy/maxWaiting``, a key's queue is bounded: see ``enqueue(_:key:priority:payload:)``.
///
/// `Payload` is what the caller keeps per waiter (a continuation and a timer).
struct ConcurrencyLimiterState<Payload> {
    struct Key {
        let id: KeyID?
        let limit: Int
        var inFlight = 0
        var waiting = 0
        /// One queue per priority, lowest first.
        var queues = [Queue](repeating: Queue(), count: CallPriority.count)
    }

    /// Waiter ids of one key and priority in arrival order from `head`; ids no longer in `waiters`
    /// were removed.
    struct Queue {
        var ids: [UInt64] = []
        var head = 0
        var waiting = 0
    }

    struct Waiter {
        let key: Int
        let priority: Int
        let sequence: UInt64
        var payload: Payload
    }

    /// What ``enqueue(_:key:priority:payload:)`` did with a waiter.
    enum Enqueued {
        /// Queued; `displaced` is the lower-priority waiter it took the place of, now out of the queue.
        case queued(displaced: Payload?)
        /// Not queued: the key's queue is full of waiters of its priority or higher.
        case full
    }

    let limits: ConcurrencyLimits
    /// The client-wide limit in force: the configured one, or an adaptive limit's current value.
    private(set) var clientLimit: Int
    private let maxWaiting: Int
    private(set) var keys: [Key] = []
    private var keyIndex: [KeyID?: Int] = [:]
    private(set) var inFlight = 0
    private(set) var waiting = 0
    private(set) var waiters: [UInt64: Waiter] = [:]
    private var nextID: UInt64 = 0
    private var nextSequence: UInt64 = 0
    /// How long a permit is held, on average (seconds, a moving average over the latest releases),
    /// and how many releases it has seen.
    private(set) var meanHold = 0.0
    private(set) var holdSamples = 0

    /// Releases seen before ``projectedWait(_:priority:)`` trusts the average hold.
    static var minimumHoldSamples: Int { 8 }

    init(limits: ConcurrencyLimits) {
        self.limits = limits
        clientLimit = min(limits.clientLimit ?? .max, limits.adaptive?.initialLimit ?? .max)
        maxWaiting = limits.queue.maxWaiting ?? .max
    }

    /// The index of `key`'s counters, made on first use.
    mutating func index(of key: KeyID?) -> Int {
        if let index = keyIndex[key] { return index }
        keys.append(Key(id: key, limit: limits.limit(for: key) ?? .max))
        keyIndex[key] = keys.count - 1
        return keys.count - 1
    }

    func existingIndex(of key: KeyID?) -> Int? { keyIndex[key] }

    /// Admits a request for `key` at once if it need not wait: the key and the pool have room, and no
    /// waiter of `priority` or higher waits for the key (the queue only holds waiters that cannot be
    /// admitted, so then none is ahead of it).
    mutating func tryAcquire(_ key: Int, priority: Int = CallPriority.default.rawValue) -> Bool {
        guard inFlight < clientLimit, keys[key].inFlight < keys[key].limit else { return false }
        if keys[key].waiting > 0 {
            for level in priority..<CallPriority.count where keys[key].queues[level].waiting > 0 { return false }
        }
        inFlight += 1
        keys[key].inFlight += 1
        return true
    }

    /// A fresh id for a waiter about to be queued.
    mutating func makeWaiterID() -> UInt64 {
        nextID += 1
        return nextID
    }

    /// Queues a waiter at the back of `key`'s queue for `priority`. When the key already has
    /// ``AdmissionQueuePolicy/maxWaiting`` waiters, the latest waiter of the lowest priority below
    /// `priority` leaves the queue to make room (returned to be failed); with none below, the waiter
    /// is not queued.
    mutating func enqueue(_ id: UInt64, key: Int, priority: Int, payload: Payload) -> Enqueued {
        var displaced: Payload?
        if keys[key].waiting >= maxWaiting {
            guard let level = (0..<priority).first(where: { keys[key].queues[$0].waiting > 0 }),
                let victim = tailID(key, level: level)
            else { return .full }
            displaced = remove(victim)
        }
        nextSequence += 1
        waiters[id] = Waiter(key: key, priority: priority, sequence: nextSequence, payload: payload)
        keys[key].queues[priority].ids.append(id)
        keys[key].queues[priority].waiting += 1
        keys[key].waiting += 1
        waiting += 1
        return .queued(displaced: displaced)
    }

    /// The id of the latest live waiter of `key` at `level` (which has waiters).
    private func tailID(_ key: Int, level: Int) -> UInt64? {
        let queue = keys[key].queues[level]
        return queue.ids[queue.head...].last { waiters[$0] != nil }
    }

    /// Changes a queued waiter's payload; `false` if it is no longer queued.
    mutating func updatePayload(_ id: UInt64, _ update: (inout Payload) -> Void) -> Bool {
        guard waiters[id] != nil else { return false }
        update(&waiters[id]!.payload)
        return true
    }

    /// Takes a waiter out of the queue (cancelled, or its deadline passed); `nil` if it is no longer
    /// queued (admitted or removed already). Frees no room, so admits nobody.
    mutating func remove(_ id: UInt64) -> Payload? {
        guard let waiter = waiters.removeValue(forKey: id) else { return nil }
        keys[waiter.key].waiting -= 1
        keys[waiter.key].queues[waiter.priority].waiting -= 1
        waiting -= 1
        compact(waiter.key, level: waiter.priority)
        return waiter.payload
    }

    /// Sets the client-wide limit (an adaptive limit moved), never above the configured one, and admits
    /// the waiters a raised limit lets in. A lowered limit takes no permit back: requests in flight
    /// finish, and nobody is admitted until the count is below it.
    mutating func setClientLimit(_ limit: Int) -> [Payload] {
        clientLimit = max(1, min(limit, limits.clientLimit ?? .max))
        guard waiting > 0 else { return [] }
        return admitWaiters()
    }

    /// Gives back a permit for `key` and admits the waiters that now fit, returning their payloads
    /// (their counts are already taken).
    mutating func release(_ key: Int) -> [Payload] {
        assert(keys[key].inFlight > 0 && inFlight > 0, "a concurrency permit was released twice")
        guard keys[key].inFlight > 0, inFlight > 0 else { return [] }
        keys[key].inFlight -= 1
        inFlight -= 1
        guard waiting > 0 else { return [] }
        return admitWaiters()
    }

    /// Admits, by priority and then in arrival order, every waiter whose key and the pool have room.
    private mutating func admitWaiters() -> [Payload] {
        var admitted: [Payload] = []
        while inFlight < clientLimit, waiting > 0 {
            var best: (key: Int, level: Int, id: UInt64, sequence: UInt64)?
            for index in keys.indices where keys[index].waiting > 0 && keys[index].inFlight < keys[index].limit {
                // The key's first waiter: the head of its highest priority with waiters.
                let queues = keys[index].queues
                guard let level = (0..<CallPriority.count).last(where: { queues[$0].waiting > 0 }) else { continue }
                if let current = best, current.level > level { continue }
                let id = headID(index, level: level)
                let sequence = waiters[id]!.sequence
                if let current = best, current.level == level, current.sequence < sequence { continue }
                best = (index, level, id, sequence)
            }
            guard let best else { break }
            let waiter = waiters.removeValue(forKey: best.id)!
            keys[best.key].queues[best.level].head += 1
            keys[best.key].queues[best.level].waiting -= 1
            keys[best.key].waiting -= 1
            waiting -= 1
            keys[best.key].inFlight += 1
            inFlight += 1
            compact(best.key, level: best.level)
            admitted.append(waiter.payload)
        }
        return admitted
    }

    /// The id of the first live waiter of a key's queue with waiters, dropping removed ids before it.
    private mutating func headID(_ key: Int, level: Int) -> UInt64 {
        while waiters[keys[key].queues[level].ids[keys[key].queues[level].head]] == nil {
            keys[key].queues[level].head += 1
        }
        return keys[key].queues[level].ids[keys[key].queues[level].head]
    }

    /// Frees a queue's consumed prefix once it is empty or mostly consumed.
    private mutating func compact(_ key: Int, level: Int) {
        let queue = keys[key].queues[level]
        if queue.waiting == 0 {
            keys[key].queues[level].ids.removeAll(keepingCapacity: true)
            keys[key].queues[level].head = 0
        } else if queue.head >= 64 && queue.head * 2 >= queue.ids.count {
            keys[key].queues[level].ids.removeFirst(queue.head)
            keys[key].queues[level].head = 0
        }
    }

    /// Counts one permit's hold time in the moving average.
    mutating func recordHold(_ seconds: Double) {
        guard seconds.isFinite, seconds >= 0 else { return }
        holdSamples = holdSamples.saturatingAdding(1)
        // The plain mean at first, then an exponential average that follows the recent holds.
        let weight = max(0.1, 1 / Double(min(holdSamples, 10)))
        meanHold += (seconds - meanHold) * weight
    }

    /// The least time a request of `priority` for `key` would wait if queued now, in seconds: the
    /// waiters ahead of it (of its priority or higher) fill whole rounds of the limit that is full,
    /// and each round takes about one average hold. `nil` while too few holds were seen to tell; zero
    /// when fewer than one round waits ahead.
    func projectedWait(_ key: Int, priority: Int) -> Double? {
        guard holdSamples >= Self.minimumHoldSamples else { return nil }
        var rounds = 0
        if keys[key].inFlight >= keys[key].limit {
            var ahead = 0
            for level in priority..<CallPriority.count { ahead += keys[key].queues[level].waiting }
            rounds = ahead / keys[key].limit
        }
        if inFlight >= clientLimit {
            var ahead = 0
            for index in keys.indices where keys[index].waiting > 0 {
                for level in priority..<CallPriority.count { ahead += keys[index].queues[level].waiting }
            }
            rounds = max(rounds, ahead / clientLimit)
        }
        return Double(rounds) * meanHold
    }

    var gauges: ConcurrencyGauges {
        var gauges = ConcurrencyGauges(inFlight: inFlight, waiting: waiting)
        for key in keys {
            guard let id = key.id else { continue }
            if key.inFlight > 0 { gauges.inFlightByKey[id] = key.inFlight }
            if key.waiting > 0 { gauges.waitingByKey[id] = key.waiting }
        }
        return gauges
    }
}
