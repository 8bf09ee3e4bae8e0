/// What the mock server does with one request: succeed normally, or inject a fault, optionally with
/// its own timing and reply length.
///
/// Scripted outcomes are queued with ``MockLLMServer/enqueue(_:forKey:)`` and consumed in order
/// by the next admitted chat, embeddings or messages requests (requests rejected by the rate
/// limiter do not consume one).
///
/// ```swift
/// server.enqueue([
///     .fault(.serverError(503)),
///     MockOutcome(latency: MockLatency(perToken: .milliseconds(200)), replyTokens: 50),
///     .success,
/// ])
/// ```
public struct MockOutcome: Sendable, Hashable {
    /// The fault to inject, or `nil` for a normal answer.
    public var fault: MockFault?
    /// Timing for this request, replacing ``MockServerConfiguration/latency``; `nil` keeps it.
    public var latency: MockLatency?
    /// Reply length in tokens for this request, replacing ``MockServerConfiguration/replyTokens``
    /// (still capped by the request's `max_tokens`; a tool call ignores it); `nil` keeps it.
    public var replyTokens: Int?

    /// Creates an outcome.
    public init(fault: MockFault? = nil, latency: MockLatency? = nil, replyTokens: Int? = nil) {
        precondition(replyTokens.map { $0 >= 0 } ?? true, "replyTokens must not be negative")
        self.fault = fault
        self.latency = latency
        self.replyTokens = replyTokens
    }

    /// A normal answer with the configured timing.
    public static let success = MockOutcome()

    /// An outcome that injects `fault`.
    public static func fault(_ fault: MockFault, latency: MockLatency? = nil) -> MockOutcome {
        MockOutcome(fault: fault, latency: latency)
    }

    /// A normal answer with its own timing.
    public static func delayed(_ latency: MockLatency) -> MockOutcome {
        MockOutcome(latency: latency)
    }
}
