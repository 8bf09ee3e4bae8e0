import Synchronization

/// What one timed span enforces: a whole call (``DeadlineMiddleware``) or one attempt
/// (``AttemptTimeoutMiddleware``). Absolute limits are instants on the span's clock; relative ones are
/// counted while the consumer waits for a body chunk.
struct SpanLimits: Sendable {
    /// An instant after which the span fails with `code`.
    struct Instant: Sendable {
        /// Why the span fails at an instant; the message is only built when it does.
        enum Reason: Sendable {
            /// An attempt's response head limit.
            case head(Duration, attempt: Int)
            /// An attempt's total limit.
            case attempt(Duration, attempt: Int)
            /// The call's deadline, from its total limit if it has one.
            case deadline(total: Duration?)
        }

        // Plain values only (no strings): the limits are copied into every span without reference
        // counting, and the code and message are made only when the span fails.
        var at: Duration
        var reason: Reason

        var code: SluiceError.Code {
            switch reason {
            case .head: .responseHeadTimeout
            case .attempt: .attemptTimeout
            case .deadline: .deadlineExceeded
            }
        }

        var message: String {
            switch reason {
            case .head(let limit, let attempt): "no response head arrived within \(limit) (attempt \(attempt))"
            case .attempt(let limit, let attempt): "attempt \(attempt) took longer than \(limit)"
            case .deadline(let total?): "the call took longer than its total time limit of \(total)"
            case .deadline(nil): "the call's deadline passed"
            }
        }
    }

    /// The response head must arrive by then.
    var head: Instant?
    /// Head and body together must end by then.
    var total: Instant?
    /// The longest wait for the first body chunk, whatever it holds.
    var firstByte: Duration?
    /// The longest wait for the first content (see ``StreamProgress``), or first chunk.
    var firstToken: Duration?
    /// The longest wait for more content, or for each later chunk.
    var idle: Duration?

    /// These limits without the head's (for a body whose head has arrived).
    var bodyOnly: SpanLimits {
        var limits = self
        limits.head = nil
        return limits
    }

    var hasChunkLimits: Bool { firstByte != nil || firstToken != nil || idle != nil }
    var hasBodyLimits: Bool { total != nil || hasChunkLimits }
    var isEmpty: Bool { head == nil && !hasBodyLimits }

    /// How often the watchdog wakes at the latest, so that a wait that starts while it sleeps is
    /// caught: a wait with its whole limit ahead ends no earlier than this after it starts. (A wait
    /// that starts with part of its limit spent wakes the watchdog itself; see
    /// ``TimedSpan/beginWait()``.)
    var pollInterval: Duration? {
        var shortest: Duration?
        func consider(_ limit: Duration?) {
            if let limit { shortest = min(shortest ?? limit, limit) }
        }
        consider(firstByte)
        consider(firstToken)
        consider(idle)
        return shortest.map { max($0, .milliseconds(1)) }
    }

    /// When a wait that started at `since` runs out of its first-token budget (before any content) or
    /// idle budget (after), `waited` of it being spent already; `nil` without that limit.
    func tokenWaitEnds(since: Duration, sawContent: Bool, waited: Duration) -> Duration? {
        guard let limit = sawContent ? idle : firstToken else { return nil }
        return since + limit - waited
    }
}

/// The timers of one span, driven by one watchdog for its whole life (head and body), not a timer per
/// chunk. The watchdog is a registration in the layer's shared ``DeadlineTimer``, not a task: the
/// span holds at most one at a time, and takes it out when the span ends.
///
/// The head: `next` runs in a child task that the watchdog cancels when the head limit passes. The
/// body: the span, as the timed body's source, records when the consumer starts and stops waiting for a chunk (a lock
/// and a clock read per chunk); the watchdog is due at the earliest deadline (never later than
/// ``SpanLimits/pollInterval`` ahead, so a wait that starts meanwhile is still caught on time), and on
/// expiry discards the inner body, which makes its pending read return at once. The consumer's read
/// then throws the typed error.
///
/// Content pacing: with a ``StreamProgress`` (a streamed chat reply), the first-token and idle limits
/// are budgets of waiting time since the last content. Each wait that ends with a chunk without
/// content spends part of the budget; a chunk with content (seen as a new progress count when the
/// consumer next waits) refills it. Without one, every chunk refills it, which is plain chunk pacing.
///
/// The span is the timed body's ``ResponseBodySource`` itself (one object per attempt, not two).
final class TimedSpan: @unchecked Sendable {
    fileprivate enum Phase { case head, body, ended }

    fileprivate struct State {
        var phase = Phase.head
        var expired: SluiceError?
        var waitingSince: Duration?
        var chunks = 0
        /// Content has arrived (with content pacing), or a chunk has (without).
        var sawContent = false
        /// With content pacing: the consumer's waits since the last content, before the current wait.
        var waitedWithoutContent = Duration.zero
        /// The ``StreamProgress`` count at the last content seen (at the head, before any).
        var progressSeen = 0
        var work: Task<ClientResponse, any Error>?
        var inner: ResponseBody?
        /// The current watchdog's registration in ``TimedSpan/timer``, while one is pending.
        var watchdog: DeadlineTimer.ID?
        /// Which watchdog is current: one replaced by a newer one stops at its next look.
        var watchdogGeneration = 0
        /// When the current watchdog is due next, while it is pending.
        var wakesAt: Duration?
    }

    fileprivate enum Action {
        /// The watchdog is due again then (already registered).
        case sleep(until: Duration)
        case stop
        case cancelWork(Task<ClientResponse, any Error>?)
        case discard(ResponseBody?)
    }

    let clock: any SluiceClock
    /// The layer's timer, on `clock`, where the watchdog is registered.
    let timer: DeadlineTimer
    let limits: SpanLimits
    /// Where a streamed chat reply reports content; `nil` paces the chunk limits by chunks.
    let progress: StreamProgress?
    fileprivate let state = Mutex(State())
    /// The attempt's task has returned (or thrown). Set once, read without the lock on the fast path.
    private let workDone = Atomic<Bool>(false)
    /// The inner body's reader, once the span times a body. Set before the span is a body's source,
    /// then touched only by ``next()``, which the ``ResponseBodySource`` contract never calls
    /// concurrently (hence `@unchecked Sendable`: every other stored property is a constant, a lock
    /// or an atomic).
    private var iterator: ResponseBody.AsyncIterator?

    private init(timer: DeadlineTimer, limits: SpanLimits, progress: StreamProgress?) {
        self.clock = timer.clock
        self.timer = timer
        self.limits = limits
        // Only the chunk limits read it.
        self.progress = limits.hasChunkLimits ? progress : nil
    }

    /// Sends through `next` under `limits`: the head must arrive in time, and the returned body
    /// enforces the body limits.
    nonisolated(nonsending) static func run(
        limits: SpanLimits,
        timer: DeadlineTimer,
        _ request: ClientRequest,
        _ context: ClientContext,
        next: @escaping ClientMiddleware.Next
    ) async throws -> ClientResponse {
        let span = TimedSpan(timer: timer, limits: limits, progress: context.streamProgress)
        let work = span.start(request, context, next: next)
        if span.workDone.load(ordering: .acquiring) {
            // The head arrived without a wait: no watchdog ever ran, so nothing else touches the
            // span; only an instant already past can have expired.
            let response: ClientResponse
            do {
                response = try await work.value
            } catch {
                throw span.expiredInstant() ?? error
            }
            return try span.headArrivedAtOnce(response)
        }
        span.state.withLock { $0.work = work }
        let response: ClientResponse
        do {
            span.startWatchdog()
            response = try await withTaskCancellationHandler {
                try await work.value
            } onCancel: {
                work.cancel()
            }
        } catch {
            throw span.headFailed(error)
        }
        return try span.headArrived(response)
    }

    /// ``run(limits:timer:_:_:next:)`` with a layer's own `next`: out of line, so that the layer's
    /// intercept stays a small frame on the task while the layers below send (a task keeps the
    /// memory its deepest frames took for as long as it runs, a stream's whole life).
    @inline(never)
    nonisolated(nonsending) static func time(
        limits: SpanLimits,
        timer: DeadlineTimer,
        _ request: ClientRequest,
        _ context: ClientContext,
        next: ClientMiddleware.Next
    ) async throws -> ClientResponse {
        try await withoutActuallyEscaping(next) { next in
            try await run(limits: limits, timer: timer, request, context, next: next)
        }
    }

    /// Starts the attempt in a task of its own. It starts at once on this thread and runs until it
    /// first suspends: an answer that needs no wait (an in-memory transport, a cache) costs no thread
    /// hop and no watchdog.
    @inline(never)
    private func start(
        _ request: ClientRequest, _ context: ClientContext, next: @escaping ClientMiddleware.Next
    ) -> Task<ClientResponse, any Error> {
        if Task.isCancelled { return Task { try await next(request, context) } }
        return Task.immediate { [self] in
            defer { workDone.store(true, ordering: .releasing) }
            return try await next(request, context)
        }
    }

    /// The head arrived without a wait: discards it if an instant has passed meanwhile.
    @inline(never)
    private func headArrivedAtOnce(_ response: ClientResponse) throws -> ClientResponse {
        if let expired = expiredInstant() {
            response.body.discard()
            throw expired
        }
        return try headArrived(response)
    }

    /// Times the body of a response whose head arrived without this span's help (the transport timed
    /// it): `limits` are body limits only.
    @inline(never)
    static func timeBody(
        limits: SpanLimits, timer: DeadlineTimer, progress: StreamProgress?, _ response: ClientResponse
    ) throws -> ClientResponse {
        guard needsBodyTiming(limits, response) else { return response }
        return try TimedSpan(timer: timer, limits: limits, progress: progress).headArrived(response)
    }

    /// Whether a body needs timing after its head: an absolute limit is left, or a chunk limit on a
    /// body that can make its reader wait (one held in memory never does).
    private static func needsBodyTiming(_ limits: SpanLimits, _ response: ClientResponse) -> Bool {
        limits.total != nil || (limits.hasChunkLimits && !response.body.storage.isInMemory)
    }

    /// The error of an absolute limit (head or total) that has already passed, if any.
    @inline(never)
    private func expiredInstant() -> (any Error)? {
        guard limits.head != nil || limits.total != nil else { return nil }
        let now = clock.now
        if let total = limits.total, total.at <= now { return SluiceError(total.code, total.message) }
        if let head = limits.head, head.at <= now { return SluiceError(head.code, head.message) }
        return nil
    }

    /// Starts the watchdog, unless the span has already ended; a watchdog already pending is replaced.
    private func startWatchdog() {
        let (generation, replaced) = state.withLock { state in
            state.watchdogGeneration += 1
            return (state.watchdogGeneration, state.watchdog.take())
        }
        if let replaced { timer.cancel(replaced) }
        watch(generation)
    }

    // MARK: Head

    @inline(never)
    private func headFailed(_ error: any Error) -> any Error {
        let (expired, watchdog) = state.withLock { state in
            state.phase = .ended
            state.work = nil
            return (state.expired, state.watchdog.take())
        }
        if let watchdog { timer.cancel(watchdog) }
        return expired ?? error
    }

    @inline(never)
    private func headArrived(_ response: ClientResponse) throws -> ClientResponse {
        // A body held in memory never makes its reader wait, so the chunk limits can never trip on it;
        // only an absolute limit still needs timing.
        let keepTiming = Self.needsBodyTiming(limits, response)
        let progressAtHead = progress?.count ?? 0
        let (expired, watchdog, start) = state.withLock { state in
            state.work = nil
            if let expired = state.expired {
                state.phase = .ended
                return (Optional(expired), state.watchdog.take(), false)
            }
            guard keepTiming else {
                state.phase = .ended
                return (nil, state.watchdog.take(), false)
            }
            state.phase = .body
            state.inner = response.body
            state.progressSeen = progressAtHead
            return (nil, nil, state.watchdog == nil)
        }
        if let watchdog { timer.cancel(watchdog) }
        if let expired {
            response.body.discard()
            throw expired
        }
        guard keepTiming else { return response }
        response.body.onTermination { [self] _ in bodyEnded() }
        if start { startWatchdog() }
        iterator = response.body.makeAsyncIterator()
        var timed = response
        timed.body = ResponseBody(source: self, expectedContentLength: response.body.expectedContentLength)
        return timed
    }

    // MARK: Body

    /// The consumer starts waiting for a chunk. Returns the error to throw if the span has expired.
    ///
    /// With content pacing, content decoded since the last wait refills the first-token and idle
    /// budgets here. A wait that starts with part of its budget spent may end before the watchdog is
    /// next due: then a new watchdog replaces the pending one.
    @inline(never)
    func beginWait() -> (any Error)? {
        let now = clock.now
        let progressCount = progress?.count
        let (expired, wake) = state.withLock { state -> ((any Error)?, Bool) in
            if let expired = state.expired { return (expired, false) }
            if let progressCount, progressCount != state.progressSeen {
                state.progressSeen = progressCount
                state.sawContent = true
                state.waitedWithoutContent = .zero
            }
            state.waitingSince = now
            guard state.waitedWithoutContent > .zero,
                let ends = limits.tokenWaitEnds(
                    since: now, sawContent: state.sawContent, waited: state.waitedWithoutContent),
                let wakesAt = state.wakesAt, ends < wakesAt
            else { return (nil, false) }
            state.wakesAt = nil
            return (nil, true)
        }
        if wake { startWatchdog() }
        return expired
    }

    /// The consumer's wait ended (with a chunk, or the end of the body). Returns the error to throw if
    /// the span expired meanwhile.
    @inline(never)
    func endWait(gotChunk: Bool) -> (any Error)? {
        let now = progress == nil ? Duration.zero : clock.now
        return state.withLock { state -> (any Error)? in
            if let expired = state.expired { return expired }
            if progress != nil, let since = state.waitingSince {
                state.waitedWithoutContent += now - since
            }
            state.waitingSince = nil
            if gotChunk {
                state.chunks += 1
                if progress == nil { state.sawContent = true }
            }
            return nil
        }
    }

    var expiredError: (any Error)? {
        @inline(never) get { state.withLock { $0.expired } }
    }

    /// The consumer gave up on the outer body: abort the inner one.
    func discardInner() {
        let inner = state.withLock { $0.inner }
        inner?.discard()
    }

    private func bodyEnded() {
        let watchdog = state.withLock { state in
            state.phase = .ended
            state.inner = nil
            return state.watchdog.take()
        }
        if let watchdog { timer.cancel(watchdog) }
    }

    // MARK: Watchdog

    /// One look of watchdog `generation`: expires the span, or registers the next look in `timer`.
    ///
    /// The evaluation and the registration happen under the span's lock (the timer never runs an
    /// action from `schedule`, and takes no other lock under its own), so a span that ends meanwhile
    /// always finds the registration and cancels it: nothing is left in the timer after the span ends.
    private func watch(_ generation: Int) {
        let now = clock.now
        let action = state.withLock { state -> Action in
            // This look's own registration has fired: it is no longer pending.
            if state.watchdogGeneration == generation { state.watchdog = nil }
            let action = evaluate(&state, now: now, generation: generation)
            if case .sleep(let deadline) = action {
                state.watchdog = timer.schedule(at: deadline, target: self, tag: generation)
            }
            return action
        }
        switch action {
        case .stop, .sleep:
            return
        case .cancelWork(let work):
            work?.cancel()
        case .discard(let inner):
            inner?.discard()
        }
    }

    fileprivate func evaluate(_ state: inout State, now: Duration, generation: Int) -> Action {
        guard state.expired == nil, state.watchdogGeneration == generation else { return .stop }
        state.wakesAt = nil
        var target: Duration?
        func consider(_ instant: Duration) { target = min(target ?? instant, instant) }

        if let total = limits.total {
            if total.at <= now { return expire(&state, SluiceError(total.code, total.message)) }
            consider(total.at)
        }
        switch state.phase {
        case .ended:
            return .stop
        case .head:
            if let head = limits.head {
                if head.at <= now { return expire(&state, SluiceError(head.code, head.message)) }
                consider(head.at)
            }
        case .body:
            if let since = state.waitingSince {
                if state.chunks == 0, let limit = limits.firstByte {
                    if since + limit <= now { return expire(&state, firstByteError(limit)) }
                    consider(since + limit)
                }
                if let ends = limits.tokenWaitEnds(
                    since: since, sawContent: state.sawContent, waited: state.waitedWithoutContent)
                {
                    if ends <= now { return expire(&state, tokenError(afterContent: state.sawContent)) }
                    consider(ends)
                }
            }
        }
        if let poll = limits.pollInterval { consider(now + poll) }
        guard let target else { return .stop }
        state.wakesAt = target
        return .sleep(until: target)
    }

    private func firstByteError(_ limit: Duration) -> SluiceError {
        SluiceError(.firstByteTimeout, "no body byte arrived within \(limit) of the response head")
    }

    /// The first-token or idle error, worded for the pacing in force.
    private func tokenError(afterContent: Bool) -> SluiceError {
        let paced = progress != nil
        if afterContent {
            let limit = limits.idle ?? .zero
            return paced
                ? SluiceError(
                    .idleTimeout,
                    "no content arrived for \(limit) (keep-alive pings and other events without content do not count)")
                : SluiceError(.idleTimeout, "no body chunk arrived for \(limit)")
        }
        let limit = limits.firstToken ?? .zero
        return paced
            ? SluiceError(
                .firstTokenTimeout,
                "no content arrived within \(limit) of the response head (keep-alive pings and other events without "
                    + "content do not count)")
            : SluiceError(.firstTokenTimeout, "no body chunk arrived within \(limit) of the response head")
    }

    fileprivate func expire(_ state: inout State, _ error: SluiceError) -> Action {
        state.expired = error
        switch state.phase {
        case .head: return .cancelWork(state.work)
        case .body: return .discard(state.inner)
        case .ended: return .stop
        }
    }
}

extension Optional {
    fileprivate mutating func take() -> Wrapped? {
        defer { self = nil }
        return self
    }
}

/// The timed body: reads the inner body under the span's limits.
///
/// It tells the span when the consumer starts and stops waiting, and throws the span's typed error
/// once it has expired. Ending it ends the inner body exactly once: reading to the end or a read error
/// ends the inner body itself; ``cancel()`` (the outer body discarded or its consumer cancelled)
/// discards the inner body; an expiry discards it from the watchdog.
extension TimedSpan: ResponseBodySource {
    nonisolated(nonsending) func next() async throws -> [UInt8]? {
        if let expired = beginWait() { throw expired }
        do {
            let chunk = try await iterator?.next()
            if let expired = endWait(gotChunk: chunk != nil) { throw expired }
            return chunk
        } catch {
            // An expiry discards the inner body, so its read fails (or ends early): report the expiry.
            if let expired = expiredError { throw expired }
            throw error
        }
    }

    func cancel() {
        discardInner()
    }
}

extension TimedSpan: DeadlineTarget {
    /// The watchdog scheduled for `tag` (its generation) is due.
    func deadlinePassed(tag generation: Int) {
        watch(generation)
    }
}
