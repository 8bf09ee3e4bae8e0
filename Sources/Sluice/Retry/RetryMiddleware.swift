#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Retries failed attempts of a call under a ``RetryPolicy``, with backoff, the server's retry hints
/// and a ``RetryBudget``.
///
/// Sits inside ``DeadlineMiddleware`` and outside the rate limiter, so that every attempt spends rate
/// budget and every backoff counts against the call's deadline. Sets ``ClientContext/attempt`` (1, 2,
/// …) on the context it passes down.
///
/// ```swift
/// let retry = RetryMiddleware(policy: .default, budget: RetryBudget(clock: clock), clock: clock)
/// ```
///
/// **What the call ends with.** A retryable answer is returned as a response, never thrown: the
/// client turns the final non-2xx response into its typed provider error. The bodies of answers that
/// are retried are discarded. When retrying stops (``RetryPolicy/maxAttempts`` reached, the budget
/// spent, or the next delay would pass ``ClientContext/deadline``), the call ends the way its last
/// attempt did: that response is returned, or that error rethrown, unchanged. The one exception is a
/// server-directed delay above ``RetryPolicy/maxServerDelay``, which throws
/// ``SluiceError/Code/retryDelayTooLong`` at once.
///
/// **Bodies.** A 429 that could be retried has its body read (at most 64 KiB) to tell
/// `insufficient_quota` from a rate limit; when it is returned, its body holds those bytes. A 2xx
/// answer to a non-streaming call has its body read here, inside the loop (at most `bufferLimit`
/// bytes), so that a body that fails before the caller sees any of it is retried like any other
/// failed attempt; a stream is returned at its head and never retried afterwards.
///
/// A call's ``CallOptions/retryPolicy`` replaces `policy` for that call.
///
/// - Important: Backoff sleeps on the injected clock and ends with `CancellationError` when the call's
///   task is cancelled. Nothing is retried after the response has been returned.
public struct RetryMiddleware: ClientMiddleware {
    /// The policy used unless a call sets ``CallOptions/retryPolicy``.
    public let policy: RetryPolicy
    /// The budget retries draw from, if any.
    public let budget: RetryBudget?
    let clock: any SluiceClock
    let random: @Sendable () -> Double
    let bufferLimit: Int?
    let wallClock: @Sendable () -> Duration
    /// Where retry decisions go (issue 5 attaches the client's event handlers here).
    let observer: (@Sendable (RetryEvent) -> Void)?

    /// The most bytes of a 429 body read to look for `insufficient_quota`.
    static let errorBodyLimit = 64 << 10

    /// A retry layer.
    ///
    /// - Parameters:
    ///   - policy: the client's policy.
    ///   - budget: the client's retry budget, or `nil` for none.
    ///   - clock: the clock backoff sleeps on and the deadline is read from.
    ///   - random: numbers drawn uniformly from `0..<1` for jitter (inject a seeded source in tests).
    ///   - bufferLimit: the largest non-streaming 2xx body read inside the retry loop (the client's
    ///     `maxResponseBytes`); larger fails with ``SluiceError/Code/bodyTooLarge``. `nil` returns
    ///     non-streaming bodies unread, so failures while reading them are not retried.
    public init(
        policy: RetryPolicy = .default,
        budget: RetryBudget? = nil,
        clock: any SluiceClock = SystemClock.shared,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        bufferLimit: Int? = 32 << 20
    ) {
        self.init(
            policy: policy, budget: budget, clock: clock, random: random, bufferLimit: bufferLimit,
            wallClock: Self.systemWallClock, observer: nil)
    }

    init(
        policy: RetryPolicy,
        budget: RetryBudget?,
        clock: any SluiceClock,
        random: @escaping @Sendable () -> Double,
        bufferLimit: Int?,
        wallClock: @escaping @Sendable () -> Duration,
        observer: (@Sendable (RetryEvent) -> Void)?
    ) {
        self.policy = policy
        self.budget = budget
        self.clock = clock
        self.random = random
        self.bufferLimit = bufferLimit
        self.wallClock = wallClock
        self.observer = observer
    }

    /// The same layer reporting its decisions to `observer`.
    func observed(by observer: @escaping @Sendable (RetryEvent) -> Void) -> RetryMiddleware {
        RetryMiddleware(
            policy: policy, budget: budget, clock: clock, random: random, bufferLimit: bufferLimit,
            wallClock: wallClock, observer: observer)
    }

    /// The result of one attempt.
    ///
    /// The error is held boxed (`any Error`, one word), with its code beside it: a ``SluiceError``
    /// held inline would widen this layer's async frame by hundreds of bytes, and a task keeps the
    /// memory its deepest frames took for as long as it runs (a stream's whole life).
    private enum Outcome {
        /// Done: return this response.
        case final(ClientResponse)
        /// A retryable answer.
        case retryableResponse(ClientResponse)
        /// A retryable error: a ``SluiceError`` with this code.
        case retryableError(any Error, SluiceError.Code)
    }

    public nonisolated(nonsending) func intercept(
        _ request: ClientRequest,
        context: ClientContext,
        next: Next
    ) async throws -> ClientResponse {
        // The call's policy is looked up where it is used, in synchronous functions: a policy held
        // here would be copied into this frame and the attempt's, which a stream's send keeps.
        budget?.deposit(key: context.keyID)
        var attemptContext = context
        var attempt = 1
        while true {
            attemptContext.attempt = attempt
            let outcome = try await self.attempt(request, attemptContext, next: next)
            switch try step(after: outcome, attempt: attempt, context: context, attemptContext: attemptContext) {
            case .done(let response): return response
            case .retry(let wakeAt): try await clock.sleep(until: wakeAt)
            }
            attempt += 1
        }
    }

    /// What follows an attempt: its answer, or a retry at a time.
    private enum Step {
        case done(ClientResponse)
        case retry(at: Duration)
    }

    /// Decides what follows an attempt, reporting the decision (the discarded body of a retried answer
    /// included). Synchronous and out of line, so that the retry loop's async frame, which a stream's
    /// send keeps while the layers below send, holds none of its values.
    @inline(never)
    private func step(
        after outcome: Outcome, attempt: Int, context: ClientContext, attemptContext: ClientContext
    ) throws -> Step {
        let policy = self.policy(for: context)
        let reason: RetryEvent.Reason
        let serverDelay: (Duration, ServerHeaders.Source)?
        switch outcome {
        case .final(let response):
            return .done(response)
        case .retryableResponse(let response):
            reason = .status(response.status)
            serverDelay = ServerHeaders.serverDelay(
                status: response.status, headers: response.headers, wallNow: wallClock)
        case .retryableError(_, let code):
            reason = .error(code)
            serverDelay = nil
        }

        func emit(_ decision: RetryEvent.Decision) {
            observer?(RetryEvent(callID: context.callID, attempt: attempt, reason: reason, decision: decision))
            Self.report(decision, reason: reason, context: attemptContext)
        }
        func stop(_ decision: RetryEvent.Decision) throws -> Step {
            emit(decision)
            switch outcome {
            case .final(let response), .retryableResponse(let response): return .done(response)
            case .retryableError(let error, _): throw error
            }
        }

        guard attempt < policy.maxAttempts else { return try stop(.attemptsExhausted) }
        let delay: Duration
        let source: ServerHeaders.Source
        let now = clock.now
        if let serverDelay {
            // The server's word, clamped to the policy's cap (an absurd `retry-after` waits the cap).
            let (server, origin) = serverDelay
            (delay, source) = (min(server, policy.maxServerDelay), origin)
            // A wait the call cannot afford fails now, saying so, instead of sleeping first.
            let limit = Self.waitLimit(status: reason.status, context: context, now: now)
            if let limit, delay > limit.wait, case .retryableResponse(let response) = outcome {
                emit(.serverDelayTooLong(delay: delay))
                response.body.discard()
                throw Self.delayTooLong(delay, limit: limit, response: response)
            }
        } else {
            (delay, source) = (policy.backoff(forRetry: attempt, random: random()), .backoff)
        }
        let wakeAt = now + delay
        if let deadline = context.deadline, wakeAt >= deadline { return try stop(.deadlineTooClose(delay: delay)) }
        if let budget, !budget.withdraw(key: context.keyID) { return try stop(.budgetExhausted) }

        emit(.scheduled(delay: delay, source: source))
        if case .retryableResponse(let response) = outcome { response.body.discard() }
        return .retry(at: wakeAt)
    }

    /// The error for a server-directed delay above what the call accepts (built out of line, so that
    /// the error's room is not part of the retry loop's async frame).
    @inline(never)
    private static func delayTooLong(
        _ delay: Duration, limit: (wait: Duration, what: String), response: ClientResponse
    ) -> any Error {
        SluiceError(
            .retryDelayTooLong,
            "the server asked to retry after \(delay.rateLimitDescription), more than \(limit.what)"
                + " (\(limit.wait.rateLimitDescription))",
            status: response.status,
            requestID: response.headers["x-request-id"] ?? response.headers["request-id"]
        )
    }

    /// The longest server-directed wait the call accepts, and what sets it: the time left before its
    /// deadline, or, for a 429, the call's own ``CallOptions/rateLimitWaitPolicy`` (a 429's wait is a
    /// rate-limit wait). `nil` when neither applies.
    private static func waitLimit(status: Int?, context: ClientContext, now: Duration) -> (wait: Duration, what: String)? {
        var limit = context.deadline.map { (wait: max(.zero, $0 - now), what: "the time left before the call's deadline") }
        if status == 429, let maxWait = context.options.rateLimitWaitPolicy?.maxWait, limit.map({ maxWait < $0.wait }) ?? true {
            limit = (maxWait, "the call's rate-limit wait policy allows")
        }
        return limit
    }

    /// Turns a decision into the hooks' `retry_scheduled` / `retry_budget_exhausted` events.
    @inline(never)
    private static func report(_ decision: RetryEvent.Decision, reason: RetryEvent.Reason, context: ClientContext) {
        guard context.events.isEnabled else { return }
        let reasonText: String
        switch reason {
        case .status(let status): reasonText = "status_\(status)"
        case .error(let code): reasonText = code.name
        }
        if case .error(let code) = reason, case .scheduled = decision, let phase = TimeoutPhase.phase(of: code) {
            context.events.emit(.timeout, context) { $0.phase = phase }
        }
        switch decision {
        case .scheduled(let delay, let source):
            context.events.emit(.retryScheduled, context) { event in
                event.reason = reasonText
                event.delay = delay
                switch source {
                case .retryAfterMilliseconds: event.delaySource = "retry-after-ms"
                case .retryAfter: event.delaySource = "retry-after"
                case .rateLimitReset: event.delaySource = "reset-header"
                case .backoff: event.delaySource = "backoff"
                }
            }
        case .budgetExhausted:
            context.events.emit(.retryBudgetExhausted, context) { $0.reason = reasonText }
        case .attemptsExhausted, .deadlineTooClose, .serverDelayTooLong:
            break
        }
    }

    /// Runs one attempt and classifies it.
    private nonisolated(nonsending) func attempt(
        _ request: ClientRequest,
        _ context: ClientContext,
        next: Next
    ) async throws -> Outcome {
        do {
            var response = try await next(request, context)
            if (200..<300).contains(response.status) {
                guard let bufferLimit, !context.isStreaming else { return .final(response) }
                let bytes = try await response.body.collect(upTo: bufferLimit)
                response.body = ResponseBody(bytes: bytes)
                return .final(response)
            }
            var insufficientQuota = false
            if needsBody(response, context) {
                let bytes = (try? await response.body.collect(upTo: Self.errorBodyLimit)) ?? []
                insufficientQuota = Self.contains(bytes, Self.insufficientQuota)
                response.body = ResponseBody(bytes: bytes)
            }
            let retryable = isRetryable(response, context, insufficientQuota: insufficientQuota)
            return retryable ? .retryableResponse(response) : .final(response)
        } catch {
            guard let code = retryableCode(of: error, context) else { throw error }
            if Task.isCancelled { throw CancellationError() }
            return .retryableError(error, code)
        }
    }

    /// The code of `error` when it is a ``SluiceError`` the policy retries (looked at out of line: a
    /// cast to ``SluiceError`` needs room for one).
    @inline(never)
    private func retryableCode(of error: any Error, _ context: ClientContext) -> SluiceError.Code? {
        guard let error = error as? SluiceError, policy(for: context).retryableErrorCodes.contains(error.code) else {
            return nil
        }
        return error.code
    }

    /// The policy of `context`'s call: its own, else the layer's.
    private func policy(for context: ClientContext) -> RetryPolicy {
        context.options.retryPolicy ?? self.policy
    }

    /// Whether the policy reads the body of this non-2xx answer before deciding.
    @inline(never)
    private func needsBody(_ response: ClientResponse, _ context: ClientContext) -> Bool {
        policy(for: context).needsBody(status: response.status, headers: response.headers)
    }

    /// Whether the policy retries this non-2xx answer.
    @inline(never)
    private func isRetryable(_ response: ClientResponse, _ context: ClientContext, insufficientQuota: Bool) -> Bool {
        policy(for: context).isRetryable(
            status: response.status, headers: response.headers, insufficientQuota: insufficientQuota)
    }

    private static let insufficientQuota = Array("insufficient_quota".utf8)

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        let first = needle[0]
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == first, haystack[index..<index + needle.count].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }

    /// The wall-clock time since the Unix epoch.
    static let systemWallClock: @Sendable () -> Duration = {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return .seconds(Int64(spec.tv_sec)) + .nanoseconds(Int64(spec.tv_nsec))
    }
}
