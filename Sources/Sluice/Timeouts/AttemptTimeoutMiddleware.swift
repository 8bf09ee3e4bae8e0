/// Bounds each attempt phase by phase: the response head, the first body byte, the first content, the
/// gaps between content, and the attempt as a whole (see ``TimeoutPolicy``).
///
/// The innermost layer, just above the transport, so that its clock starts when the request is
/// actually sent (after rate-limit and permit waits). Each limit fails with its own typed error:
/// ``SluiceError/Code/responseHeadTimeout`` from the call itself (the retry layer may retry it);
/// ``SluiceError/Code/firstByteTimeout``, ``SluiceError/Code/firstTokenTimeout``,
/// ``SluiceError/Code/idleTimeout`` and ``SluiceError/Code/attemptTimeout`` from the body's reads once
/// the head has been returned. The connect phase is the transport's (``SluiceError/Code/timeout``).
///
/// In a streamed chat reply (a context with a stream to report content), the first-token and idle
/// limits count from content events, not bytes, so keep-alive pings never keep a stalled stream
/// alive; in any other body each chunk counts.
///
/// ```swift
/// let timeouts = AttemptTimeoutMiddleware(policy: TimeoutPolicy(idle: .seconds(30)), clock: clock)
/// ```
///
/// A call's ``CallOptions/timeouts`` replaces `policy` for that call.
///
/// - Important: On expiry the inner body is discarded, so whatever the layers below hold until it
///   ends (a concurrency permit, a token reservation, the connection) is released at once; the inner
///   body ends exactly once whatever ends the outer one (read to the end, a read error, an expiry,
///   discard, cancellation of the consumer). The chunk limits count only while the consumer waits in
///   `next()`, so a slow consumer never trips them. The timers of one attempt share one watchdog,
///   a registration in a ``DeadlineTimer`` shared by every call through this layer (and its copies),
///   not a task; the attempt runs in a task of its own until its head arrives.
public struct AttemptTimeoutMiddleware: ClientMiddleware {
    /// The limits used unless a call sets ``CallOptions/timeouts``.
    public let policy: TimeoutPolicy
    let clock: any SluiceClock
    /// The attempts' watchdogs, on `clock`: one timer for every call through this layer.
    let timer: DeadlineTimer
    /// The transport below enforces ``ClientRequest/responseHeadTimeout`` on the same (real) clock:
    /// the head limit is handed down instead of being timed here (no task per attempt).
    var transportTimesHead = false

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
        let limits = spanLimits(context)
        if limits.isEmpty { return try await next(request, context) }
        if transportTimesHead, limits.total == nil {
            return try await sendTimingHeadBelow(request, context, limits: limits, next: next)
        }
        return try await TimedSpan.time(limits: limits, timer: timer, request, context, next: next)
    }

    /// The attempt's limits under the call's policy. Out of line, like the two ways of timing an
    /// attempt: the intercept stays a small frame on the task while the layers below send (a task
    /// keeps the memory its deepest frames took for as long as it runs, a stream's whole life).
    @inline(never)
    private func spanLimits(_ context: ClientContext) -> SpanLimits {
        let policy = context.options.timeouts ?? self.policy
        let now = clock.now
        var limits = SpanLimits()
        if let head = policy.responseHead(streaming: context.isStreaming) {
            limits.head = SpanLimits.Instant(
                at: now + head, reason: .head(head, attempt: context.attempt))
        }
        if let attempt = policy.attempt {
            limits.total = SpanLimits.Instant(
                at: now + attempt, reason: .attempt(attempt, attempt: context.attempt))
        }
        limits.firstByte = policy.firstByte
        limits.firstToken = policy.firstToken
        limits.idle = policy.idle
        return limits
    }

    /// The transport times the head; this layer names the attempt in its error and times the body.
    @inline(never)
    private nonisolated(nonsending) func sendTimingHeadBelow(
        _ request: ClientRequest, _ context: ClientContext, limits: SpanLimits, next: Next
    ) async throws -> ClientResponse {
        var request = request
        if let head = limits.head, case .head(let duration, _) = head.reason {
            request.responseHeadTimeout = duration
        }
        let response: ClientResponse
        do {
            response = try await next(request, context)
        } catch {
            throw Self.namingAttempt(error, limits)
        }
        return try TimedSpan.timeBody(limits: limits.bodyOnly, timer: timer, progress: context.streamProgress, response)
    }

    /// A head timeout from the transport, reworded to name the attempt; any other error as it is.
    @inline(never)
    private static func namingAttempt(_ error: any Error, _ limits: SpanLimits) -> any Error {
        guard let head = limits.head, case .head = head.reason,
            let error = error as? SluiceError, error.code == .responseHeadTimeout
        else { return error }
        return SluiceError(.responseHeadTimeout, head.message)
    }
}
