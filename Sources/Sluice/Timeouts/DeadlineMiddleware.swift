/// Gives the call one deadline, ``TimeoutPolicy/total`` from now, and ends the call when it passes.
///
/// Sits outside the retry loop, so the deadline spans rate-limit waits, permit waits, backoff and
/// every attempt. It sets ``ClientContext/deadline`` (never later than a deadline already there), which
/// the waiting layers inside read to fail at once when a wait cannot end in time. When the deadline
/// passes while the call is in flight, the call throws ``SluiceError/Code/deadlineExceeded``; when it
/// passes while a returned body is still streaming, the body's next read throws it. A call that
/// arrives with its deadline already past fails at once. With neither a ``TimeoutPolicy/total`` nor a
/// deadline on the context, the layer does nothing.
///
/// ```swift
/// let deadline = DeadlineMiddleware(policy: TimeoutPolicy(total: .seconds(30)), clock: clock)
/// ```
///
/// A call's ``CallOptions/timeouts`` replaces `policy` for that call.
///
/// - Important: On expiry the layers inside are cancelled (during the call) or the body below is
///   discarded (while it streams), so everything held for the call is released; the inner body ends
///   exactly once.
public struct DeadlineMiddleware: ClientMiddleware {
    /// The policy whose ``TimeoutPolicy/total`` is used unless a call sets ``CallOptions/timeouts``.
    public let policy: TimeoutPolicy
    let clock: any SluiceClock
    /// The calls' deadlines, on `clock`: one timer for every call through this layer.
    let timer: DeadlineTimer

    public init(policy: TimeoutPolicy = .default, clock: any SluiceClock = SystemClock.shared) {
        self.policy = policy
        self.clock = clock
        timer = DeadlineTimer(clock: clock)
    }

    public nonisolated(nonsending) func intercept(
        _ request: ClientRequest,
        context: ClientContext,
        next: Next
    ) async throws -> ClientResponse {
        guard hasDeadline(context) else { return try await next(request, context) }
        return try await timed(request, context, next: next)
    }

    /// Whether the call has a deadline, set here or above. Out of line, like the timing: the
    /// intercept stays a small frame on the task while the layers below send (a task keeps the
    /// memory its deepest frames took for as long as it runs, a stream's whole life).
    @inline(never)
    private func hasDeadline(_ context: ClientContext) -> Bool {
        context.deadline != nil || (context.options.timeouts ?? policy).total != nil
    }

    /// Sends with the call's deadline (the layers below run in a task of their own).
    @inline(never)
    private nonisolated(nonsending) func timed(
        _ request: ClientRequest, _ context: ClientContext, next: Next
    ) async throws -> ClientResponse {
        guard let limits = try spanLimits(context) else { return try await next(request, context) }
        var context = context
        context.deadline = limits.total?.at
        return try await TimedSpan.time(limits: limits, timer: timer, request, context, next: next)
    }

    /// The call's deadline as a span limit, or `nil` without one; throws when it has passed already.
    @inline(never)
    private func spanLimits(_ context: ClientContext) throws -> SpanLimits? {
        let total = (context.options.timeouts ?? policy).total
        let now = clock.now
        var deadline = context.deadline
        if let total { deadline = min(deadline ?? (now + total), now + total) }
        guard let deadline else { return nil }
        let instant = SpanLimits.Instant(at: deadline, reason: .deadline(total: total))
        guard deadline > now else { throw SluiceError(.deadlineExceeded, instant.message) }
        var limits = SpanLimits()
        limits.total = instant
        return limits
    }
}
