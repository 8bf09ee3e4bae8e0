/// The time limits of a call and of each of its attempts.
///
/// One call may make several attempts (see ``RetryPolicy``) and wait for rate budget, permits and
/// backoff between them. ``total`` bounds all of it; the other limits bound one attempt, phase by
/// phase, so that a stalled server is noticed without cutting a long generation short:
///
/// ```
/// call     |<------------------------------------ total ------------------------------------------->|
/// attempt       |<-------------------------------- attempt ------------------------------------>|
///               send --responseHead--> head --firstByte--> byte
///                                      head --firstToken----------> content --idle--> content ... end
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
/// | ``firstByte`` | none | ``SluiceError/Code/firstByteTimeout`` |
/// | ``firstToken`` | 5 min | ``SluiceError/Code/firstTokenTimeout`` |
/// | ``idle`` | 2 min | ``SluiceError/Code/idleTimeout`` |
/// | ``attempt`` | none | ``SluiceError/Code/attemptTimeout`` |
///
/// **Bytes and tokens.** In a streamed chat reply (``LLMClient/streamChat(_:options:_:)``),
/// ``firstToken`` and ``idle`` count from content — a text delta, a tool call or its arguments, a
/// thinking block (see ``ChatStreamEvent/isContent``) — not from bytes: keep-alive comments,
/// Anthropic's `ping` events, empty events and role-only chunks never restart them, so a server that
/// sends nothing but pings fails with ``SluiceError/Code/idleTimeout`` (or
/// ``SluiceError/Code/firstTokenTimeout`` before any content) instead of keeping the stream open
/// forever. ``firstByte`` bounds the wait for the first body byte of any kind; it is off by default,
/// because ``firstToken`` already bounds it. In any other body (a plain reply, embeddings) there are
/// no tokens to see: each chunk counts as one, as ``firstByte`` and ``idle`` would count it.
/// Nothing a server sends extends ``total`` or ``attempt``.
///
/// Why these defaults: a non-streaming reply's head arrives only once the whole reply is generated,
/// so its head limit is the SDKs' 10 minutes; a streaming reply's head arrives before generation
/// starts, so a minute is generous. Reasoning models and very long prompts can take minutes before the
/// first delta, hence 5 minutes for the first token; two minutes without new content means a stalled
/// generation, whatever keep-alives the server sends meanwhile. Nothing caps a whole stream by
/// default: a long generation that keeps producing content is never cut. Set ``total`` when your
/// caller has a deadline of its own.
///
/// ```swift
/// var timeouts = TimeoutPolicy.default
/// timeouts.total = .seconds(30)        // the whole call, retries included
/// timeouts.firstByte = .seconds(10)    // the server must start answering soon…
/// timeouts.firstToken = .seconds(120)  // …but may think for a while
/// timeouts.idle = .seconds(20)
/// var options = CallOptions()
/// options.timeouts = timeouts          // for one call
/// ```
///
/// The chunk limits (``firstByte``, ``firstToken``, ``idle``) count only while the consumer waits for
/// the next chunk, so a slow consumer never trips them. `nil` means no limit. A limit of zero or less
/// expires at once.
public struct TimeoutPolicy: Sendable, Hashable {
    /// The whole call: rate-limit waits, permit waits, backoff and every attempt, including a stream's
    /// body. Enforced by ``DeadlineMiddleware``, which sets ``ClientContext/deadline``.
    public var total: Duration?
    /// From sending an attempt of a non-streaming call to its response head (which, for a
    /// non-streaming reply, arrives only after the whole reply is generated).
    public var responseHead: Duration?
    /// From sending an attempt of a streaming call (``ClientContext/isStreaming``) to its response head.
    public var streamingResponseHead: Duration?
    /// From the response head to the first body byte of any kind (a keep-alive comment counts).
    public var firstByte: Duration?
    /// From the response head to the first content: in a streamed chat reply, the first event that
    /// carries content (``ChatStreamEvent/isContent``); in any other body, the first chunk.
    ///
    /// Earlier versions ended this limit at the first body byte of a stream; ``firstByte`` does that now.
    public var firstToken: Duration?
    /// The longest wait for more content after the first: in a streamed chat reply, counted from the
    /// last content event, so keep-alive pings do not restart it; in any other body, from the last
    /// chunk.
    public var idle: Duration?
    /// One attempt from sending to the end of its body.
    public var attempt: Duration?

    public init(
        total: Duration? = nil,
        responseHead: Duration? = .seconds(600),
        streamingResponseHead: Duration? = .seconds(60),
        firstByte: Duration? = nil,
        firstToken: Duration? = .seconds(300),
        idle: Duration? = .seconds(120),
        attempt: Duration? = nil
    ) {
        self.total = total
        self.responseHead = responseHead
        self.streamingResponseHead = streamingResponseHead
        self.firstByte = firstByte
        self.firstToken = firstToken
        self.idle = idle
        self.attempt = attempt
    }

    /// The defaults in the table above.
    public static let `default` = TimeoutPolicy()

    /// No limits at all.
    public static let unlimited = TimeoutPolicy(
        total: nil, responseHead: nil, streamingResponseHead: nil, firstByte: nil, firstToken: nil, idle: nil,
        attempt: nil)

    /// The head limit for an operation: ``streamingResponseHead`` for streams, else ``responseHead``.
    public func responseHead(streaming: Bool) -> Duration? {
        streaming ? streamingResponseHead : responseHead
    }
}
