import Synchronization

/// The default ``RateLimitStore``: token buckets in this process, over an injected clock.
///
/// One lock guards every bucket set; reserving and settling are a few arithmetic operations under
/// it, with no allocation on the path where budget is there. A request that must wait joins its
/// bucket set's FIFO queue; one timer per bucket set (a task sleeping on the clock) wakes the queue
/// when its head can go, and refunds, cooldowns and cancellations re-evaluate the queue at once.
///
/// ```swift
/// let store = InMemoryRateLimitStore(clock: SystemClock.shared)
/// ```
///
/// - Important: Admission is by ``RateLimitReservationRequest/priority``, then FIFO, per bucket set: a
///   request never overtakes an earlier one of its priority or higher on the same key, even when it
///   is smaller; one of a higher priority goes ahead of lower ones, and a waiter that this pushes
///   past its deadline or maximum wait fails at once. With
///   ``RateLimitReservationRequest/maxWaiting``, a request that would wait in a full queue is
///   refused, or displaces the latest waiter of a lower priority, with ``SluiceError/Code/loadShed``.
///   A cancelled waiter leaves the queue and throws `CancellationError` at once. Share one store
///   between middleware only if they share the clock.
public final class InMemoryRateLimitStore: RateLimitStore {
    private typealias Waiter = CheckedContinuation<RateLimitReservation, any Error>
    private typealias Resumption = (waiter: Waiter, reservation: RateLimitReservation)

    private struct Timer {
        var at: Duration
        var generation: UInt64
        var task: Task<Void, Never>
    }

    /// The latest admission a waiter accepts: its deadline, or when its maximum wait runs out.
    private struct WaitLimit {
        var at: Duration
        var isDeadline: Bool
        var maxWait: Duration?
    }

    private struct Waiting {
        var bucket: RateLimitBucketID
        var waiter: Waiter
        var limit: WaitLimit?
        var priority: CallPriority
    }

    private struct State {
        var sets: [RateLimitBucketID: RateLimitBucketSet] = [:]
        var nextID: UInt64 = 0
        var waiters: [UInt64: Waiting] = [:]
        var timers: [RateLimitBucketID: Timer] = [:]
        var timerGeneration: UInt64 = 0
    }

    private enum Decision {
        case admitted(RateLimitReservation)
        case failed(SluiceError)
        case wait(RateLimitBucketID, RateLimitWaitNotice)
    }

    /// The clock the buckets refill on and waiters sleep on.
    public let clock: any SluiceClock
    private let state = Mutex(State())

    public init(clock: any SluiceClock = SystemClock.shared) {
        self.clock = clock
    }

    deinit {
        state.withLock { state in
            for timer in state.timers.values { timer.task.cancel() }
        }
    }

    public nonisolated(nonsending) func reserve(_ request: RateLimitReservationRequest) async throws -> RateLimitReservation {
        if let decided = decideAtOnce(request) { return try decided.get() }
        return try await waitForRoom(request)
    }

    /// The reservation or the refusal for `request`, or nil when it has to wait. Out of line: a
    /// decision holds its error inline, and `reserve`'s frame stays small without it.
    @inline(never)
    private func decideAtOnce(_ request: RateLimitReservationRequest) -> Result<RateLimitReservation, any Error>? {
        let now = clock.now
        let first: Decision = state.withLock { state in
            state.nextID &+= 1
            return Self.decide(&state, request, id: state.nextID, now: now)
        }
        switch first {
        case .admitted(let reservation): return .success(reservation)
        case .failed(let error): return .failure(error)
        case .wait: return nil
        }
    }

    /// Queues `request` until its bucket has room. Out of line, so that a request admitted at once
    /// (the usual case) allocates only `reserve`'s small async frame, not this one's: a task keeps its
    /// deepest frames' memory until it ends.
    @inline(never)
    private nonisolated(nonsending) func waitForRoom(_ request: RateLimitReservationRequest) async throws -> RateLimitReservation {
        let id: UInt64 = state.withLock { state in
            state.nextID &+= 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: Waiter) in
                let now = clock.now
                let (decision, refused): (Decision?, [Refusal]) = state.withLock { state in
                    if Task.isCancelled { return (nil, []) }
                    var decision = Self.decide(&state, request, id: id, now: now)
                    guard case .wait(let bucket, _) = decision else { return (decision, []) }
                    let (room, displaced) = makeRoom(&state, bucket, for: request)
                    if let room {
                        decision = .failed(room)
                        return (decision, [])
                    }
                    let priority = request.priority.rawValue
                    let jumps = state.sets[bucket]?.tail.map { $0.priority < priority } ?? false
                    state.sets[bucket]?.enqueue(id: id, cost: request.cost, priority: priority)
                    let limit = Self.limit(of: request, now: now)
                    state.waiters[id] = Waiting(bucket: bucket, waiter: waiter, limit: limit, priority: request.priority)
                    // Waiters it went ahead of may no longer make their deadline or maximum wait.
                    let overdue = jumps ? expire(&state, bucket, now: now) : []
                    schedule(&state, bucket, now: now)
                    return (decision, displaced + overdue)
                }
                for refusal in refused { refusal.waiter.resume(throwing: refusal.error) }
                switch decision {
                case nil: waiter.resume(throwing: CancellationError())
                case .admitted(let reservation)?: waiter.resume(returning: reservation)
                case .failed(let error)?: waiter.resume(throwing: error)
                case .wait(_, let notice)?: request.onWait?(notice)
                }
            }
        } onCancel: {
            let now = clock.now
            let (cancelled, admitted): (Waiter?, [Resumption]) = state.withLock { state in
                guard let entry = state.waiters.removeValue(forKey: id) else { return (nil, []) }
                _ = state.sets[entry.bucket]?.removeQueued(id: id)
                return (entry.waiter, pump(&state, entry.bucket, now: now))
            }
            cancelled?.resume(throwing: CancellationError())
            for resumption in admitted { resumption.waiter.resume(returning: resumption.reservation) }
        }
    }

    public func settle(_ reservation: RateLimitReservation, charge: RateLimitCost) {
        let now = clock.now
        let admitted: [Resumption] = state.withLock { state in
            guard let index = state.sets.index(forKey: reservation.bucket) else { return [] }
            state.sets.values[index].settle(reservation, charge: charge, now: now)
            // Nobody waits and no timer runs: nothing to admit or reschedule.
            if state.sets.values[index].isQueueEmpty, state.timers.isEmpty { return [] }
            return pump(&state, reservation.bucket, now: now)
        }
        for resumption in admitted { resumption.waiter.resume(returning: resumption.reservation) }
    }

    @discardableResult
    public nonisolated(nonsending) func sync(_ reservation: RateLimitReservation, with observation: RateLimitObservation) async -> Bool {
        let now = clock.now
        let (lowered, overdue): (Bool, [Refusal]) = state.withLock { state in
            guard state.sets[reservation.bucket]?.correct(reservation, with: observation.remaining, now: now) == true else {
                return (false, [])
            }
            let overdue = expire(&state, reservation.bucket, now: now)
            schedule(&state, reservation.bucket, now: now)
            return (true, overdue)
        }
        for refusal in overdue { refusal.waiter.resume(throwing: refusal.error) }
        return lowered
    }

    /// Adopts `candidate`'s limits for a bucket set already in use; waiters a tighter limit pushes past
    /// their deadline or maximum wait fail at once, and a looser one admits what now fits.
    public nonisolated(nonsending) func adopt(_ candidate: RateLimitCandidate, safetyMargin: RateLimitSafetyMargin) async {
        let now = clock.now
        let (overdue, admitted): ([Refusal], [Resumption]) = state.withLock { state in
            guard state.sets[candidate.bucket] != nil else { return ([], []) }
            state.sets[candidate.bucket]?.update(limits: candidate.limits, margin: safetyMargin, now: now)
            let overdue = expire(&state, candidate.bucket, now: now)
            return (overdue, pump(&state, candidate.bucket, now: now))
        }
        for refusal in overdue { refusal.waiter.resume(throwing: refusal.error) }
        for resumption in admitted { resumption.waiter.resume(returning: resumption.reservation) }
    }

    /// Pauses `bucket` until `until`. Waiters whose admission the pause pushes past their deadline or
    /// their maximum wait fail at once (``SluiceError/Code/rateLimitWaitExceedsDeadline``,
    /// ``SluiceError/Code/rateLimitWouldWait``), as they would have had they arrived after it.
    public nonisolated(nonsending) func cooldown(_ bucket: RateLimitBucketID, until: Duration) async {
        let now = clock.now
        let overdue: [Refusal] = state.withLock { state in
            guard let current = state.sets[bucket]?.cooldownUntil, until > current else { return [] }
            state.sets[bucket]?.cooldownUntil = until
            let overdue = expire(&state, bucket, now: now)
            schedule(&state, bucket, now: now)
            return overdue
        }
        for refusal in overdue { refusal.waiter.resume(throwing: refusal.error) }
    }

    public nonisolated(nonsending) func state(of bucket: RateLimitBucketID) async -> RateLimitBucketState? {
        let now = clock.now
        return state.withLock { $0.sets[bucket]?.state(now: now) }
    }

    // MARK: Core

    /// Chooses the candidate that admits `request` soonest and admits it now, or says where to wait,
    /// or why it fails.
    private static func decide(_ state: inout State, _ request: RateLimitReservationRequest, id: UInt64, now: Duration) -> Decision {
        let cost = request.cost
        let priority = request.priority.rawValue
        var best: (bucket: RateLimitBucketID, time: Duration, headroom: Double, noneAhead: Bool)?
        var tooLarge: (bucket: RateLimitBucketID, dimension: RateLimitDimension, capacity: Int)?
        // The best set's index while no insertion has happened since (an insertion invalidates it), so
        // that admitting it needs no second lookup.
        var bestIndex: Dictionary<RateLimitBucketID, RateLimitBucketSet>.Index?
        for candidate in request.candidates {
            let index: Dictionary<RateLimitBucketID, RateLimitBucketSet>.Index
            if let existing = state.sets.index(forKey: candidate.bucket) {
                index = existing
                state.sets.values[index].update(limits: candidate.limits, margin: request.safetyMargin, now: now)
                state.sets.values[index].refill(at: now)
            } else {
                state.sets[candidate.bucket] = RateLimitBucketSet(
                    limits: candidate.limits, margin: request.safetyMargin, now: now)
                bestIndex = nil
                guard let inserted = state.sets.index(forKey: candidate.bucket) else { continue }
                index = inserted
            }
            // Read in place (a copy of the set would retain its queue and buckets).
            if let never = state.sets.values[index].neverFits(cost) {
                if tooLarge == nil { tooLarge = (candidate.bucket, never.dimension, never.capacity) }
                continue
            }
            let time = state.sets.values[index].projectedAdmission(of: cost, priority: priority, now: now)
            let headroom = state.sets.values[index].headroom
            if let current = best, current.time < time || (current.time == time && current.headroom >= headroom) {
                continue
            }
            best = (candidate.bucket, time, headroom, !state.sets.values[index].hasQueued(atOrAbove: priority))
            bestIndex = index
        }
        guard let best else {
            if let tooLarge {
                return .failed(
                    .requestTooLarge(
                        needs: cost[tooLarge.dimension], of: tooLarge.dimension, bucket: tooLarge.bucket, capacity: tooLarge.capacity))
            }
            return .failed(.noUsableKeyForRequest)
        }
        if best.time <= now, best.noneAhead {
            if let bestIndex {
                return .admitted(state.sets.values[bestIndex].admit(cost, id: id, bucketID: best.bucket, now: now))
            }
            if let reservation = state.sets[best.bucket]?.admit(cost, id: id, bucketID: best.bucket, now: now) {
                return .admitted(reservation)
            }
        }
        let wait = best.time - now
        if let deadline = request.deadline, best.time > deadline {
            return .failed(.waitExceedsDeadline(bucket: best.bucket, wait: wait, left: deadline - now))
        }
        if let maxWait = request.maxWait, wait > maxWait {
            return .failed(.wouldWait(bucket: best.bucket, wait: wait, maxWait: maxWait))
        }
        let reason = state.sets[best.bucket]?.waitReason(for: cost, priority: priority, now: now) ?? .queue
        return .wait(best.bucket, RateLimitWaitNotice(bucket: best.bucket, delay: wait, reason: reason))
    }

    private typealias Refusal = (waiter: Waiter, error: SluiceError)

    /// Makes room in `bucket`'s queue for `request` when the queue is full: takes out the latest
    /// waiter of a lower priority (returned, to fail), or returns the error refusing `request`.
    private func makeRoom(
        _ state: inout State, _ bucket: RateLimitBucketID, for request: RateLimitReservationRequest
    ) -> (refused: SluiceError?, displaced: [Refusal]) {
        guard let maxWaiting = request.maxWaiting, let set = state.sets[bucket], set.waitingCount >= maxWaiting else {
            return (nil, [])
        }
        let queue = "rate-limit budget on \(bucket)"
        guard let tail = set.tail, tail.priority < request.priority.rawValue,
            let entry = state.waiters.removeValue(forKey: tail.id)
        else {
            return (.queueFull(queue, limit: maxWaiting, priority: request.priority), [])
        }
        _ = state.sets[bucket]?.removeQueued(id: tail.id)
        return (nil, [(entry.waiter, .displaced(queue, priority: entry.priority))])
    }

    /// The latest admission `request` accepts, or `nil` when it has no deadline and no maximum wait.
    private static func limit(of request: RateLimitReservationRequest, now: Duration) -> WaitLimit? {
        let waitEnd = request.maxWait.map { now + $0 }
        switch (request.deadline, waitEnd) {
        case (nil, nil): return nil
        case (let deadline?, nil): return WaitLimit(at: deadline, isDeadline: true, maxWait: nil)
        case (nil, let end?): return WaitLimit(at: end, isDeadline: false, maxWait: request.maxWait)
        case (let deadline?, let end?):
            return deadline <= end
                ? WaitLimit(at: deadline, isDeadline: true, maxWait: nil)
                : WaitLimit(at: end, isDeadline: false, maxWait: request.maxWait)
        }
    }

    /// Removes the waiters of `bucket` that can no longer be admitted within their limit (after a
    /// cooldown or a correction moved admission later) and says why each fails.
    private func expire(_ state: inout State, _ bucket: RateLimitBucketID, now: Duration) -> [Refusal] {
        guard state.sets[bucket]?.isQueueEmpty == false else { return [] }
        let waiters = state.waiters
        guard let removed = state.sets[bucket]?.removeOverdue(now: now, limit: { waiters[$0]?.limit?.at }),
            !removed.isEmpty
        else { return [] }
        var refusals: [Refusal] = []
        for (id, admission) in removed {
            guard let entry = state.waiters.removeValue(forKey: id), let limit = entry.limit else { continue }
            let wait = admission - now
            let error: SluiceError
            if limit.isDeadline {
                error = SluiceError(
                    .rateLimitWaitExceedsDeadline,
                    "rate-limit budget on \(bucket) moved to \(wait.rateLimitDescription) from now while the call waited,"
                        + " after its deadline (\(max(.zero, limit.at - now).rateLimitDescription) left)")
            } else {
                error = SluiceError(
                    .rateLimitWouldWait,
                    "rate-limit budget on \(bucket) moved to \(wait.rateLimitDescription) from now while the call waited;"
                        + " the wait policy allows \((limit.maxWait ?? .zero).rateLimitDescription) in all")
            }
            refusals.append((entry.waiter, error))
        }
        return refusals
    }

    /// Admits what fits at the head of `bucket`'s queue and reschedules its timer.
    private func pump(_ state: inout State, _ bucket: RateLimitBucketID, now: Duration) -> [Resumption] {
        var admitted: [Resumption] = []
        guard state.sets[bucket]?.isQueueEmpty == false else {
            schedule(&state, bucket, now: now)
            return admitted
        }
        var reservations: [(id: UInt64, reservation: RateLimitReservation)] = []
        state.sets[bucket]?.pump(now: now, bucketID: bucket) { id, reservation in reservations.append((id, reservation)) }
        for (id, var reservation) in reservations {
            reservation.queued = true
            if let entry = state.waiters.removeValue(forKey: id) { admitted.append((entry.waiter, reservation)) }
        }
        schedule(&state, bucket, now: now)
        return admitted
    }

    /// Makes sure a timer wakes `bucket`'s queue when its head can go (and none runs for an empty queue).
    private func schedule(_ state: inout State, _ bucket: RateLimitBucketID, now: Duration) {
        guard let set = state.sets[bucket], let ready = set.headReadyTime(now: now) else {
            state.timers.removeValue(forKey: bucket)?.task.cancel()
            return
        }
        if let timer = state.timers[bucket], timer.at <= ready { return }
        state.timers[bucket]?.task.cancel()
        state.timerGeneration &+= 1
        let generation = state.timerGeneration
        let clock = self.clock
        let task = Task { [weak self] in
            do { try await clock.sleep(until: ready) } catch { return }
            self?.timerFired(bucket, generation: generation)
        }
        state.timers[bucket] = Timer(at: ready, generation: generation, task: task)
    }

    private func timerFired(_ bucket: RateLimitBucketID, generation: UInt64) {
        let now = clock.now
        let admitted: [Resumption] = state.withLock { state in
            guard state.timers[bucket]?.generation == generation else { return [] }
            state.timers.removeValue(forKey: bucket)
            return pump(&state, bucket, now: now)
        }
        for resumption in admitted { resumption.waiter.resume(returning: resumption.reservation) }
    }
}

extension Duration {
    /// `1.25 s`, `250 ms`: for error messages.
    package var rateLimitDescription: String {
        let seconds = rateLimitSeconds
        if seconds < 1 { return "\(Int((seconds * 1000).rounded(.up))) ms" }
        return "\((seconds * 100).rounded(.up) / 100) s"
    }
}
