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
        switch timing(context) {
        case .none: return try await next(request, context)
        case .headBelow(let head): return try await sendTimingHeadBelow(request, context, head: head, next: next)
        case .span: return try await timeSpan(request, context, next: next)
        }
    }

    /// How an attempt is timed.
    private enum Timing {
        /// No limit applies.
        case none
        /// The transport times the head (when there is a head limit); this layer the body.
        case headBelow(head: Duration?)
        /// This layer times head and body, the layers below running in a task of their own.
        case span
    }

    /// How the call's policy times this attempt. The limits themselves are worked out where they are
    /// used, in synchronous functions out of line: the async frames on the send's path, which a task
    /// keeps for as long as it runs (a stream's whole life), hold no limits.
    @inline(never)
    private func timing(_ context: ClientContext) -> Timing {
        let policy = context.options.timeouts ?? self.policy
        let hasTotal = policy.attempt != nil
        let head = policy.responseHead(streaming: context.isStreaming)
        guard head != nil || hasTotal || policy.firstByte != nil || policy.firstToken != nil || policy.idle != nil else {
            return .none
        }
        return transportTimesHead && !hasTotal ? .headBelow(head: head) : .span
    }

    /// The attempt's limits under the call's policy, from now.
    @inline(never)
    private func spanLimits(_ context: ClientContext) -> SpanLimits {
        let policy = context.options.timeouts ?? self.policy
        let now = clock.now
        var limits = Self.chunkLimits(policy)
        if let head = policy.responseHead(streaming: context.isStreaming) {
            limits.head = SpanLimits.Instant(
                at: now + head, reason: .head(head, attempt: context.attempt))
        }
        if let attempt = policy.attempt {
            limits.total = SpanLimits.Instant(
                at: now + attempt, reason: .attempt(attempt, attempt: context.attempt))
        }
        return limits
    }

    /// The policy's limits on a body's chunks only.
    private static func chunkLimits(_ policy: TimeoutPolicy) -> SpanLimits {
        var limits = SpanLimits()
        limits.firstByte = policy.firstByte
        limits.firstToken = policy.firstToken
        limits.idle = policy.idle
        return limits
    }

    /// Times the attempt's head and body here.
    @inline(never)
    private nonisolated(nonsending) func timeSpan(
        _ request: ClientRequest, _ context: ClientContext, next: Next
    ) async throws -> ClientResponse {
        try await TimedSpan.time(limits: spanLimits(context), timer: timer, request, context, next: next)
    }

    /// The transport times the head; this layer names the attempt in its error and times the body.
    @inline(never)
    private nonisolated(nonsending) func sendTimingHeadBelow(
        _ request: ClientRequest, _ context: ClientContext, head: Duration?, next: Next
    ) async throws -> ClientResponse {
        let response: ClientResponse
        do {
            response = try await next(Self.withHeadLimit(request, head), context)
        } catch {
            throw Self.namingAttempt(error, head: head, attempt: context.attempt)
        }
        return try timeBody(response, context)
    }

    /// `request` carrying the head limit for the transport.
    @inline(never)
    private static func withHeadLimit(_ request: ClientRequest, _ head: Duration?) -> ClientRequest {
        var request = request
        if let head { request.responseHeadTimeout = head }
        return request
    }

    /// The body of an answer whose head the transport timed, timed here by its chunk limits (there is
    /// no total limit on this path, and they count from now).
    @inline(never)
    private func timeBody(_ response: ClientResponse, _ context: ClientContext) throws -> ClientResponse {
        try TimedSpan.timeBody(
            limits: Self.chunkLimits(context.options.timeouts ?? policy), timer: timer,
            progress: context.streamProgress, response)
    }

    /// A head timeout from the transport, reworded to name the attempt; any other error as it is.
    @inline(never)
    private static func namingAttempt(_ error: any Error, head: Duration?, attempt: Int) -> any Error {
        guard let head, let error = error as? SluiceError, error.code == .responseHeadTimeout else { return error }
        let instant = SpanLimits.Instant(at: .zero, reason: .head(head, attempt: attempt))
        return SluiceError(.responseHeadTimeout, instant.message)
    }
}
