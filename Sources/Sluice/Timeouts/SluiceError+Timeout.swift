extension SluiceError.Code {
    // MARK: Time limits

    /// The call's deadline (``TimeoutPolicy/total``, or an earlier deadline already on the context)
    /// passed: while waiting for rate budget, a permit or a backoff, during an attempt, or while the
    /// body streamed. Never retried.
    public static let deadlineExceeded = SluiceError.Code("deadline_exceeded")
    /// No response head arrived within ``TimeoutPolicy/responseHead`` (or
    /// ``TimeoutPolicy/streamingResponseHead``) of the attempt being sent. Retryable.
    ///
    /// Connecting is bounded by the transport's own connect timeout, which fails with
    /// ``SluiceError/Code/timeout``.
    public static let responseHeadTimeout = SluiceError.Code("response_head_timeout")
    /// The head arrived but the consumer waited longer than ``TimeoutPolicy/firstByte`` for the first
    /// body byte.
    public static let firstByteTimeout = SluiceError.Code("first_byte_timeout")
    /// The head arrived but the consumer waited longer than ``TimeoutPolicy/firstToken`` for the first
    /// content: in a streamed chat reply the first event with content (keep-alive pings and role-only
    /// chunks do not count), in any other body the first chunk.
    public static let firstTokenTimeout = SluiceError.Code("first_token_timeout")
    /// The consumer waited longer than ``TimeoutPolicy/idle`` for more content: in a streamed chat reply
    /// counted from the last event with content (keep-alive pings do not count), in any other body
    /// from the last chunk.
    public static let idleTimeout = SluiceError.Code("idle_timeout")
    /// The attempt, head and body together, took longer than ``TimeoutPolicy/attempt``.
    public static let attemptTimeout = SluiceError.Code("attempt_timeout")
}
