import Synchronization

/// Bounds how many requests are in flight at once, per API key and over the whole client.
///
/// Use it when a provider limits concurrent requests, or to keep a burst of calls from opening more
/// connections than a server (or your process) should carry. Each request takes a permit for its key
/// (``ClientContext/keyID``) and one from the client-wide pool before it goes on; when either is
/// full it waits in a queue ordered by ``CallOptions/priority`` and, within a priority, by arrival.
///
/// ```swift
/// let limiter = ConcurrencyLimitMiddleware(
///     limits: ConcurrencyLimits(maxConcurrentRequests: 32, maxConcurrentRequestsPerKey: 8)
/// )
/// // … placed inside the rate limiter and outside the attempt timeout.
/// print(limiter.gauges.inFlight, limiter.gauges.waiting)
/// ```
///
/// Waiting is deadline-aware: when ``ClientContext/deadline`` passes while the request is queued, or
/// has already passed when it would have to queue, the request fails with
/// ``SluiceError/Code/permitWaitExceedsDeadline`` without being sent. So does a request that the
/// waiters ahead of it (of its priority or higher) are projected to hold up past its deadline: they
/// fill whole rounds of the full limit, each about as long as a permit is held on average (a moving
/// average of the latest holds, trusted after eight). A request admitted at once is not checked
/// against its deadline here; the deadline and timeout layers own that.
///
/// With ``ConcurrencyLimits/queue`` bounded, a request arriving at a full queue of its key is refused,
/// or displaces the latest waiter of a lower priority, with ``SluiceError/Code/loadShed`` (and a
/// ``ClientEvent/Kind/loadShed`` event).
///
/// A request that has to queue emits ``ClientEvent/Kind/permitWaitStarted`` and, however the wait
/// ends, ``ClientEvent/Kind/permitWaitEnded`` (``ClientEvent/waited``; ``ClientEvent/error`` when the
/// wait failed). A request admitted at once emits nothing.
///
/// - Important: A permit is held from admission until the response body ends — read to its end,
///   failed, cancelled, discarded, or released unread — and is given back exactly once, from
///   ``ResponseBody/onTermination(_:)``; if `next` throws, it is given back at once. Admission is by
///   priority, then FIFO, per key, and across keys whenever the client-wide pool is what is full; a waiter whose key
///   is full does not hold up other keys. Cancelling a waiting task takes it out of the queue and
///   throws `CancellationError` at once. `deadline` is on `clock`, which must be the client's clock.
///   One instance may serve many concurrent calls; copies of a client share it by reference.
public final class ConcurrencyLimitMiddleware: ClientMiddleware {
    /// What a waiter keeps in the queue.
    struct Waiter: Sendable {
        let continuation: CheckedContinuation<Void, any Error>
        let priority: CallPriority
        /// The waiter's deadline in ``ConcurrencyLimitMiddleware/timer``, if it has one.
        var timer: DeadlineTimer.ID?
    }

    /// The limits this middleware enforces.
    public let limits: ConcurrencyLimits
    /// Where per-key permits shared with other processes are taken, if anywhere.
    public let store: (any ConcurrencyPermitStore)?
    let clock: any SluiceClock
    /// The waiters' deadlines, on `clock`: one timer for every waiter, not a task each.
    let timer: DeadlineTimer
    private let state: Mutex<ConcurrencyLimiterState<Waiter>>
    /// The adaptive client-wide limit, when ``ConcurrencyLimits/adaptive`` is set.
    private let adaptive: Mutex<AdaptiveConcurrencyLimit?>
    /// Whether ``ConcurrencyLimits/adaptive`` is set (read without the lock on every request).
    private let adapts: Bool

    /// A middleware enforcing `limits`, measuring deadlines on `clock` (the client's); with a `store`,
    /// each key's limit holds across every process sharing the store, as well as in this one.
    public init(limits: ConcurrencyLimits, clock: any SluiceClock = SystemClock.shared, store: (any ConcurrencyPermitStore)? = nil) {
        self.limits = limits
        self.store = store
        self.clock = clock
        timer = DeadlineTimer(clock: clock)
        state = Mutex(ConcurrencyLimiterState(limits: limits))
        adaptive = Mutex(limits.adaptive.map(AdaptiveConcurrencyLimit.init))
        adapts = limits.adaptive != nil
    }

    /// The client-wide limit in force — with ``ConcurrencyLimits/adaptive``, where it has moved to —
    /// or `nil` when there is none.
    public var clientLimit: Int? {
        let limit = state.withLock { $0.clientLimit }
        return limit == .max ? nil : limit
    }

    // MARK: Gauges

    /// Requests in flight and waiting, in total and per key, at this moment.
    public var gauges: ConcurrencyGauges { state.withLock { $0.gauges } }

    /// Requests holding a permit over the whole client.
    public var inFlight: Int { state.withLock { $0.inFlight } }

    /// Requests queued for a permit over the whole client.
    public var waiting: Int { state.withLock { $0.waiting } }

    /// Requests holding a permit for `key` (`nil`: requests without a key id).
    public func inFlight(for key: KeyID?) -> Int {
        state.withLock { state in state.existingIndex(of: key).map { state.keys[$0].inFlight } ?? 0 }
    }

    /// Requests queued for a permit for `key` (`nil`: requests without a key id).
    public func waiting(for key: KeyID?) -> Int {
        state.withLock { state in state.existingIndex(of: key).map { state.keys[$0].waiting } ?? 0 }
    }

    // MARK: Middleware

    public nonisolated(nonsending) func intercept(
        _ request: ClientRequest,
        context: ClientContext,
        next: Next
    ) async throws -> ClientResponse {
        let key: Int
        if context.events.isEnabled {
            key = try await acquireReporting(context)
        } else {
            key = try await acquire(key: context.keyID, priority: context.options.priority, deadline: context.deadline)
        }
        let admitted = clock.now
        let lease: ConcurrencyLease?
        do {
            lease = try await sharedLease(context)
        } catch {
            release(key, since: admitted)
            throw error
        }
        let response: ClientResponse
        do {
            response = try await next(request, context)
        } catch {
            if let lease { store?.release(lease) }
            release(key, since: admitted)
            if adapts { adapt(Self.outcome(of: error), since: admitted, context: context) }
            throw error
        }
        if adapts { adapt(Self.outcome(ofStatus: response.status), since: admitted, context: context) }
        response.body.onTermination { [self] _ in
            if let lease { store?.release(lease) }
            release(key, since: admitted)
        }
        return response
    }

    // MARK: Adaptive limit

    /// What an answer's status says of the server's load: 429, 503 and 529 push back; another 2xx is
    /// a latency sample; other answers say nothing.
    static func outcome(ofStatus status: Int) -> AdaptiveConcurrencyLimit.Outcome {
        switch status {
        case 429, 503, 529: .pushedBack
        case 200..<300: .answered
        default: .ignored
        }
    }

    /// What a failure below this layer says: an attempt that timed out pushes back; a cancellation, a
    /// refused or reset connection and the rest say nothing of the server's load.
    static func outcome(of error: any Error) -> AdaptiveConcurrencyLimit.Outcome {
        guard let error = error as? SluiceError else { return .ignored }
        switch error.code {
        case .timeout, .responseHeadTimeout, .firstByteTimeout, .attemptTimeout: return .pushedBack
        default: return .ignored
        }
    }

    /// Feeds one answer to the adaptive limit and, when the limit moved, applies it (admitting the
    /// waiters a raise lets in) and emits `concurrency_limit_changed`.
    private func adapt(_ outcome: AdaptiveConcurrencyLimit.Outcome, since admitted: Duration, context: ClientContext) {
        guard outcome != .ignored else { return }
        let now = clock.now
        let inFlight = state.withLock { $0.inFlight }
        let moved: (limit: Int, previous: Int)? = adaptive.withLock { limit in
            guard let previous = limit?.limit,
                limit?.record(outcome, latency: now - admitted, inFlight: inFlight, now: now) == true,
                let current = limit?.limit
            else { return nil }
            return (current, previous)
        }
        guard let (limit, previous) = moved else { return }
        let admittedWaiters = state.withLock { $0.setClientLimit(limit) }
        for waiter in admittedWaiters {
            if let id = waiter.timer { timer.cancel(id) }
            waiter.continuation.resume()
        }
        context.events.emit(.concurrencyLimitChanged, context) { event in
            event.limit = limit
            event.reason = outcome == .pushedBack ? "pushed_back" : "latency"
            event.text = "was \(previous)"
        }
    }

    // MARK: Permits

    /// The permit shared with other processes, when a store is set and the call's key has a limit.
    private nonisolated(nonsending) func sharedLease(_ context: ClientContext) async throws -> ConcurrencyLease? {
        guard let store, let limit = limits.limit(for: context.keyID) else { return nil }
        return try await store.acquire(key: context.keyID, limit: limit, deadline: context.deadline)
    }

    /// Takes a permit for `key`, waiting in the queue if needed; returns the key's index for `release`.
    /// Out of line: the wait's values (its error among them) are not part of the intercept's async
    /// frame, which a stream's send keeps while the layers below send.
    @inline(never)
    nonisolated(nonsending) func acquire(
        key: KeyID?, priority: CallPriority? = nil, deadline: Duration?
    ) async throws -> Int {
        let level = (priority ?? .default).rawValue
        let (index, admitted) = state.withLock { state in
            let index = state.index(of: key)
            return (index, state.tryAcquire(index, priority: level))
        }
        if !admitted { try await wait(index, key: key, priority: priority ?? .default, deadline: deadline) }
        return index
    }

    /// `acquire`, emitting `permit_wait_started` / `permit_wait_ended` when the call has to queue.
    /// The wait's end is reported however it ends, so a gauge of waiting calls built from the two
    /// events never drifts: a failed wait carries the error (the deadline's, or `cancelled`).
    private nonisolated(nonsending) func acquireReporting(_ context: ClientContext) async throws -> Int {
        let priority = context.options.priority ?? .default
        let (index, admitted) = state.withLock { state in
            let index = state.index(of: context.keyID)
            return (index, state.tryAcquire(index, priority: priority.rawValue))
        }
        guard !admitted else { return index }
        let start = clock.now
        context.events.emit(.permitWaitStarted, context)
        do {
            try await wait(index, key: context.keyID, priority: priority, deadline: context.deadline)
        } catch {
            if let shed = error as? SluiceError, shed.code == .loadShed {
                context.events.emitLoadShed(context, shed, queue: "concurrency", priority: priority)
            }
            context.events.emit(.permitWaitEnded, context) { event in
                event.waited = event.instant - start
                event.error =
                    error as? SluiceError
                    ?? SluiceError(.cancelled, "the call was cancelled while it waited for a concurrency permit")
            }
            throw error
        }
        context.events.emit(.permitWaitEnded, context) { $0.waited = $0.instant - start }
        return index
    }

    /// Gives back a permit taken at `since` (counting how long it was held, for the projected waits)
    /// and wakes the waiters it lets in.
    func release(_ index: Int, since: Duration? = nil) {
        let held = since.map { (clock.now - $0).rateLimitSeconds }
        let admitted = state.withLock { state in
            if let held { state.recordHold(held) }
            return state.release(index)
        }
        for waiter in admitted {
            if let id = waiter.timer { timer.cancel(id) }
            waiter.continuation.resume()
        }
    }

    private enum Enqueued {
        case admitted, queued(displaced: Waiter?), full, cancelled
        /// Not queued: the waiters ahead are projected to take `seconds`, past the deadline.
        case projected(Double)
    }

    private nonisolated(nonsending) func wait(
        _ index: Int, key: KeyID?, priority: CallPriority, deadline: Duration?
    ) async throws {
        if let deadline, clock.now >= deadline { throw Self.deadlineError(key) }
        let id = state.withLock { $0.makeWaiterID() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let now = clock.now
                let outcome: Enqueued = state.withLock { state in
                    // A permit may have come free since the first look.
                    if state.tryAcquire(index, priority: priority.rawValue) { return .admitted }
                    // Checked under the lock: a cancellation after this finds the waiter queued.
                    if Task.isCancelled { return .cancelled }
                    if let deadline, let wait = state.projectedWait(index, priority: priority.rawValue), wait > 0,
                        now + .rateLimitSeconds(wait) > deadline
                    {
                        return .projected(wait)
                    }
                    let waiter = Waiter(continuation: continuation, priority: priority)
                    switch state.enqueue(id, key: index, priority: priority.rawValue, payload: waiter) {
                    case .queued(let displaced): return .queued(displaced: displaced)
                    case .full: return .full
                    }
                }
                switch outcome {
                case .admitted:
                    continuation.resume()
                case .cancelled:
                    continuation.resume(throwing: CancellationError())
                case .projected(let seconds):
                    continuation.resume(throwing: Self.projectedError(key, wait: .rateLimitSeconds(seconds)))
                case .full:
                    let limit = limits.queue.maxWaiting ?? 0
                    let error = SluiceError.queueFull(Self.queueName(key), limit: limit, priority: priority)
                    continuation.resume(throwing: error)
                case .queued(let displaced):
                    if let displaced {
                        if let registration = displaced.timer { timer.cancel(registration) }
                        let error = SluiceError.displaced(Self.queueName(key), priority: displaced.priority)
                        displaced.continuation.resume(throwing: error)
                    }
                    if let deadline { startTimer(id, key: key, deadline: deadline) }
                }
            }
        } onCancel: {
            remove(id, error: CancellationError())
        }
    }

    /// Fails waiter `id` with the deadline error when `deadline` comes, unless it is out of the queue by then.
    private func startTimer(_ id: UInt64, key: KeyID?, deadline: Duration) {
        let registration = timer.schedule(at: deadline) { [self] in remove(id, error: Self.deadlineError(key)) }
        let queued = state.withLock { $0.updatePayload(id) { $0.timer = registration } }
        if !queued { timer.cancel(registration) }
    }

    /// Takes waiter `id` out of the queue, if it is still there, and fails it with `error`.
    private func remove(_ id: UInt64, error: any Error) {
        guard let waiter = state.withLock({ $0.remove(id) }) else { return }
        if let registration = waiter.timer { timer.cancel(registration) }
        waiter.continuation.resume(throwing: error)
    }

    /// What errors call the queue of `key`.
    static func queueName(_ key: KeyID?) -> String {
        "concurrency permits " + (key.map { "of \($0)" } ?? "without a key id")
    }

    package static func projectedError(_ key: KeyID?, wait: Duration) -> SluiceError {
        let who = key.map { "for \($0)" } ?? "without a key id"
        return SluiceError(
            .permitWaitExceedsDeadline,
            "the calls queued ahead of the request \(who) are projected to hold the concurrency permits for "
                + "\(wait.rateLimitDescription), past the call's deadline; it was refused without waiting",
            neverSent: true)
    }

    package static func deadlineError(_ key: KeyID?) -> SluiceError {
        let who = key.map { "for \($0)" } ?? "without a key id"
        return SluiceError(
            .permitWaitExceedsDeadline,
            "the call's deadline passed while the request \(who) waited for a concurrency permit",
            neverSent: true
        )
    }
}
