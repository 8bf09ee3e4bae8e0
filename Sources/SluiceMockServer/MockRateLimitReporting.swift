/// How the mock server reports its rate-limit budget: the ways real providers' `remaining`
/// headers disagree with a client's own count, for testing a client's pacing against them.
///
/// By default the server counts each request when it arrives (requests are handled concurrently),
/// answers after ``MockServerConfiguration/latency``, and reports whole units remaining as of the
/// count. ``replyJitter`` holds each reply back a further random time, so that replies come back
/// in a different order than the server counted their requests; ``remainingUnit`` rounds the
/// remaining token counts down, as Anthropic rounds its counts.
///
/// ```swift
/// var configuration = MockServerConfiguration()
/// configuration.rateLimitReporting = MockRateLimitReporting(replyJitter: .milliseconds(50), remainingUnit: 1_000)
/// ```
public struct MockRateLimitReporting: Sendable, Hashable {
    /// The most each reply's head is held back beyond the latency, drawn at random per request
    /// (seeded by ``MockFaultPlan/seed``). Default zero.
    public var replyJitter: Duration
    /// The unit remaining token counts (`x-ratelimit-remaining-tokens`, Anthropic's input and
    /// output tokens) are rounded down to; request counts stay exact. Default 1.
    public var remainingUnit: Int

    public init(replyJitter: Duration = .zero, remainingUnit: Int = 1) {
        self.replyJitter = max(.zero, replyJitter)
        self.remainingUnit = max(1, remainingUnit)
    }

    /// `status` with its token counts rounded down to ``remainingUnit``.
    func rounded(_ status: RateLimitStatus) -> RateLimitStatus {
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
