extension SluiceError.Code {
    // MARK: Rate limiting

    /// The request costs more than a rate-limit bucket can ever hold (its tokens exceed the bucket's
    /// capacity on every usable key), so waiting would never admit it. Lower `max_tokens`, shorten
    /// the prompt, or raise the configured burst.
    public static let requestTooLarge = SluiceError.Code("request_too_large")
    /// The rate limiter would have to wait longer than the call's deadline leaves, so it failed at
    /// once instead of waiting in vain.
    public static let rateLimitWaitExceedsDeadline = SluiceError.Code("rate_limit_wait_exceeds_deadline")
    /// The rate limiter would have to wait, and the wait policy (``RateLimitWaitPolicy/failFast`` or
    /// a maximum wait) says not to.
    public static let rateLimitWouldWait = SluiceError.Code("rate_limit_would_wait")
    /// Every API key in the pool has been removed (401 or `insufficient_quota`); see
    /// ``RateLimitKeyPool/removedKeys``.
    public static let noUsableKeys = SluiceError.Code("no_usable_keys")
}

extension SluiceError.Code {
    /// A shared rate-limit store (Redis) could not be reached or answered in time, and its failure
    /// policy says to fail rather than to limit locally. The error's `cause` tells what failed.
    public static let rateLimitStoreUnavailable = SluiceError.Code("rate_limit_store_unavailable")
}

extension SluiceError {
    // The admission refusals every RateLimitStore gives, worded alike whichever store refuses.

    /// `cost` needs more of `dimension` than `bucket` can ever hold.
    package static func requestTooLarge(needs amount: Int, of dimension: RateLimitDimension, bucket: RateLimitBucketID, capacity: Int)
        -> SluiceError
    {
        SluiceError(
            .requestTooLarge,
            "the request needs \(amount) \(String(dimension.description.map { $0 == "_" ? " " : $0 })) "
                + "but the bucket of \(bucket) holds at most \(capacity); it can never be admitted", neverSent: true)
    }

    /// No key of the pool can take the request.
    package static let noUsableKeyForRequest = SluiceError(
        .noUsableKeys, "no API key is available to send the request with", neverSent: true)

    /// Budget on `bucket` is projected in `wait`, after the deadline, which is `left` away.
    package static func waitExceedsDeadline(bucket: RateLimitBucketID, wait: Duration, left: Duration) -> SluiceError {
        SluiceError(
            .rateLimitWaitExceedsDeadline,
            "rate-limit budget on \(bucket) is projected in \(wait.rateLimitDescription), after the call's deadline"
                + " (\(max(.zero, left).rateLimitDescription) left)", neverSent: true)
    }

    /// Budget on `bucket` is projected in `wait`, longer than the wait policy's `maxWait`.
    package static func wouldWait(bucket: RateLimitBucketID, wait: Duration, maxWait: Duration) -> SluiceError {
        SluiceError(
            .rateLimitWouldWait,
            "rate-limit budget on \(bucket) is projected in \(wait.rateLimitDescription); the wait policy allows "
                + maxWait.rateLimitDescription, neverSent: true)
    }
}
