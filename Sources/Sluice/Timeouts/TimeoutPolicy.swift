/// The time limits of a call and of each of its attempts.
///
/// One call may make several attempts (see ``RetryPolicy``) and wait for rate budget, permits and
/// backoff between them. ``total`` bounds all of it; the other limits bound one attempt, phase by
/// phase, so that a stalled server is noticed without cutting a long generation short:
///
/// ```
/// call     |<------------------------------- total ------------------------------------>|
/// attempt       |<--------------------------- attempt --------------------------->|
///               send --responseHead--> head --firstToken--> chunk --idle--> chunk ... end
/// ```
///
/// Connecting is the transport's business: `CurlTransport.Configuration.timeouts.connect` (10 s by
/// default) fails with ``SluiceError/Code/timeout``, which the retry layer treats as retryable.
///
/// | limit | default | error |
/// |---|---|---|
/// | ``total`` | none | ``SluiceError/Code/deadlineExceeded`` |
/// | ``responseHead`` (non-streaming calls) | 10 min | ``SluiceError/Code/responseHeadTimeout`` |
/// | ``streamingResponseHead`` (streaming calls) | 60 s | ``SluiceError/Code/responseHeadTimeout`` |
/// | ``firstToken`` | 5 min | ``SluiceError/Code/firstTokenTimeout`` |
/// | ``idle`` | 2 min | ``SluiceError/Code/idleTimeout`` |
/// | ``attempt`` | none | ``SluiceError/Code/attemptTimeout`` |
///
/// Why these defaults: a non-streaming reply's head arrives only once the whole reply is generated,
/// so its head limit is the SDKs' 10 minutes; a streaming reply's head arrives before generation
/// starts, so a minute is generous. Reasoning models and very long prompts can take minutes before the
/// first delta, hence 5 minutes for the first token; between chunks providers send tokens or
/// keep-alive pings, so two minutes of silence means a stalled stream. Nothing caps a whole stream by
/// default: a long generation that keeps producing chunks is never cut. Set ``total`` when your
/// caller has a deadline of its own.
///
/// ```swift
/// var timeouts = TimeoutPolicy.default
/// timeouts.total = .seconds(30)        // the whole call, retries included
/// timeouts.idle = .seconds(20)
/// var options = CallOptions()
/// options.timeouts = timeouts          // for one call
/// ```
///
/// `nil` means no limit. A limit of zero or less expires at once.
public struct TimeoutPolicy: Sendable, Hashable {
    /// The whole call: rate-limit waits, permit waits, backoff and every attempt, including a stream's
    /// body. Enforced by ``DeadlineMiddleware``, which sets ``ClientContext/deadline``.
    public var total: Duration?
    /// From sending an attempt of a non-streaming call to its response head (which, for a
    /// non-streaming reply, arrives only after the whole reply is generated).
    public var responseHead: Duration?
    /// From sending an attempt of a streaming call (``ClientContext/isStreaming``) to its response head.
    public var streamingResponseHead: Duration?
    /// From the response head to the first body chunk, counted while the consumer waits for it.
    public var firstToken: Duration?
    /// The longest the consumer waits for any later body chunk.
    public var idle: Duration?
    /// One attempt from sending to the end of its body.
    public var attempt: Duration?

    public init(
        total: Duration? = nil,
        responseHead: Duration? = .seconds(600),
        streamingResponseHead: Duration? = .seconds(60),
        firstToken: Duration? = .seconds(300),
        idle: Duration? = .seconds(120),
        attempt: Duration? = nil
    ) {
        self.total = total
        self.responseHead = responseHead
        self.streamingResponseHead = streamingResponseHead
        self.firstToken = firstToken
        self.idle = idle
        self.attempt = attempt
    }

    /// The defaults in the table above.
    public static let `default` = TimeoutPolicy()

    /// No limits at all.
    public static let unlimited = TimeoutPolicy(
        total: nil, responseHead: nil, streamingResponseHead: nil, firstToken: nil, idle: nil, attempt: nil)

    /// The head limit for an operation: ``streamingResponseHead`` for streams, else ``responseHead``.
    public func responseHead(streaming: Bool) -> Duration? {
        streaming ? streamingResponseHead : responseHead
    }
}
