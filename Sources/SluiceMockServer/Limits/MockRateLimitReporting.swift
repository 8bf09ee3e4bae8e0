/// How the mock server reports its rate-limit budget: the ways real providers' `remaining`
/// headers disagree with a client's own count, for testing a client's pacing against them.
///
/// By default the server counts each request when it arrives (requests are handled concurrently),
/// answers after ``MockServerConfiguration/latency``, and reports whole units remaining as of the
/// count. ``handling`` ``Handling/inOrder`` handles one request at a time instead, so every report
/// counts exactly the requests before it; ``replyJitter`` holds each reply back a further random
/// time, so that replies come back in a different order than the server counted their requests;
/// ``remainingUnit`` rounds the remaining token counts down, as Anthropic rounds its counts;
/// ``sendsHeaders`` off leaves the rate-limit headers out (the limits still hold), the baseline a
/// client's header-driven pacing is measured against.
///
/// ```swift
/// var configuration = MockServerConfiguration()
/// configuration.rateLimitReporting = MockRateLimitReporting(replyJitter: .milliseconds(50), remainingUnit: 1_000)
/// configuration.rateLimitReporting = MockRateLimitReporting(handling: .inOrder)
/// configuration.rateLimitReporting = MockRateLimitReporting(sendsHeaders: false)
/// ```
public struct MockRateLimitReporting: Sendable, Hashable {
    /// How the server schedules the requests it receives.
    public enum Handling: String, Sendable, Hashable, CaseIterable {
        /// Requests are handled side by side, each counted when it arrives (the default).
        case concurrent
        /// One request at a time, in arrival order: each is counted, answered and finished
        /// (its whole body sent) before the next is counted. A request waits for the one before it
        /// however long that takes, so use a short latency.
        case inOrder = "in-order"
    }

    /// Concurrent (the default) or in-order handling.
    public var handling: Handling
    /// The most each reply's head is held back beyond the latency, drawn at random per request
    /// (seeded by ``MockFaultPlan/seed``). Default zero.
    public var replyJitter: Duration
    /// The unit remaining token counts (`x-ratelimit-remaining-tokens`, Anthropic's input and
    /// output tokens) are rounded down to; request counts stay exact. Default 1.
    public var remainingUnit: Int
    /// Whether replies carry the `x-ratelimit-*` / `anthropic-ratelimit-*` headers. Default `true`;
    /// `false` keeps the limits (and `retry-after` on a 429) but reports nothing else.
    public var sendsHeaders: Bool

    public init(
        handling: Handling = .concurrent, replyJitter: Duration = .zero, remainingUnit: Int = 1, sendsHeaders: Bool = true
    ) {
        self.handling = handling
        self.replyJitter = max(.zero, replyJitter)
        self.remainingUnit = max(1, remainingUnit)
        self.sendsHeaders = sendsHeaders
    }

    /// `status` as reported: empty when the server sends no headers, else with its token counts
    /// rounded down to ``remainingUnit``.
    func reported(_ status: RateLimitStatus) -> RateLimitStatus {
        guard sendsHeaders else { return RateLimitStatus(requests: nil, tokens: nil) }
        guard remainingUnit > 1 else { return status }
        var status = status
        let unit = remainingUnit
        func round(_ dimension: inout RateLimitStatus.Dimension?) {
            if let remaining = dimension?.remaining { dimension?.remaining = remaining / unit * unit }
        }
        round(&status.tokens)
        round(&status.inputTokens)
        round(&status.outputTokens)
        return status
    }
}
