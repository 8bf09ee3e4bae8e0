/// The admission rules of ``ConcurrencyLimitMiddleware``, as a pure state machine (no locks, no
/// tasks): counts in flight per key and in total, and one FIFO queue of waiters per key.
///
/// Admission: a request is admitted when its key and the client-wide pool both have room. Waiters are
/// admitted in arrival order among those that can be: a waiter whose own key is full does not hold up
/// waiters for other keys, but when the client-wide pool is full nobody passes anybody. So a waiter is
/// never starved: everything that arrived before it is admitted or gone first, and the release of a
/// permit for its key frees the client-wide room it needs too.
///
/// `Payload` is what the caller keeps per waiter (a continuation and a timer).
struct ConcurrencyLimiterState<Payload> {
    struct Key {
        let id: KeyID?
        let limit: Int
        var inFlight = 0
        var waiting = 0
        /// Waiter ids in arrival order from `head`; ids no longer in `waiters` were removed.
        var queue: [UInt64] = []
        var head = 0
    }

    struct Waiter {
        let key: Int
        let sequence: UInt64
        var payload: Payload
    }

    let limits: ConcurrencyLimits
    private let clientLimit: Int
    private(set) var keys: [Key] = []
    private var keyIndex: [KeyID?: Int] = [:]
    private(set) var inFlight = 0
    private(set) var waiting = 0
    private(set) var waiters: [UInt64: Waiter] = [:]
    private var nextID: UInt64 = 0
    private var nextSequence: UInt64 = 0

    init(limits: ConcurrencyLimits) {
        self.limits = limits
        clientLimit = limits.clientLimit ?? .max
    }

    /// The index of `key`'s counters, made on first use.
    mutating func index(of key: KeyID?) -> Int {
        if let index = keyIndex[key] { return index }
        keys.append(Key(id: key, limit: limits.limit(for: key) ?? .max))
        keyIndex[key] = keys.count - 1
        return keys.count - 1
    }

    func existingIndex(of key: KeyID?) -> Int? { keyIndex[key] }

    /// Admits a request for `key` at once if it need not wait: the key and the pool have room (then no
    /// waiter can be ahead of it, since the queue only holds waiters that cannot be admitted).
    mutating func tryAcquire(_ key: Int) -> Bool {
        guard inFlight < clientLimit, keys[key].inFlight < keys[key].limit else { return false }
        inFlight += 1
        keys[key].inFlight += 1
        return true
    }

    /// A fresh id for a waiter about to be queued.
    mutating func makeWaiterID() -> UInt64 {
        nextID += 1
        return nextID
    }

    /// Queues a waiter at the back of `key`'s queue.
    mutating func enqueue(_ id: UInt64, key: Int, payload: Payload) {
        nextSequence += 1
        waiters[id] = Waiter(key: key, sequence: nextSequence, payload: payload)
        keys[key].queue.append(id)
        keys[key].waiting += 1
        waiting += 1
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
        waiting -= 1
        compact(waiter.key)
        return waiter.payload
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

    /// Admits, in arrival order, every waiter whose key and the pool have room.
    private mutating func admitWaiters() -> [Payload] {
        var admitted: [Payload] = []
        while inFlight < clientLimit, waiting > 0 {
            var best: (key: Int, id: UInt64, sequence: UInt64)?
            for index in keys.indices where keys[index].waiting > 0 && keys[index].inFlight < keys[index].limit {
                let id = headID(index)
                let sequence = waiters[id]!.sequence
                if best == nil || sequence < best!.sequence { best = (index, id, sequence) }
            }
            guard let best else { break }
            let waiter = waiters.removeValue(forKey: best.id)!
            keys[best.key].head += 1
            keys[best.key].waiting -= 1
            waiting -= 1
            keys[best.key].inFlight += 1
            inFlight += 1
            compact(best.key)
            admitted.append(waiter.payload)
        }
        return admitted
    }

    /// The id of the first live waiter of a key with waiters, dropping removed ids before it.
    private mutating func headID(_ key: Int) -> UInt64 {
        while waiters[keys[key].queue[keys[key].head]] == nil { keys[key].head += 1 }
        return keys[key].queue[keys[key].head]
    }

    /// Frees the queue's consumed prefix once it is empty or mostly consumed.
    private mutating func compact(_ key: Int) {
        if keys[key].waiting == 0 {
            keys[key].queue.removeAll(keepingCapacity: true)
            keys[key].head = 0
        } else if keys[key].head >= 64 && keys[key].head * 2 >= keys[key].queue.count {
            keys[key].queue.removeFirst(keys[key].head)
            keys[key].head = 0
        }
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
