/// Something the rate limiter did, for ``RateLimitMiddleware/Configuration/onEvent``.
///
/// A plain callback for logs and metrics without the client's event system (``ClientEventHandler``
/// gets the same facts as ``ClientEvent``s). Events name keys by ``KeyID`` only.
public enum RateLimitEvent: Sendable, Hashable {
    /// A call waited this long for rate-limit budget before it was sent with `keyID`.
    case waited(callID: UInt64, keyID: KeyID, duration: Duration)
    /// The provider answered 429 with a Retry-After: every request on `bucket` pauses this long.
    case cooldownStarted(bucket: RateLimitBucketID, duration: Duration)
    /// The cooldown of `bucket` is over.
    case cooldownEnded(bucket: RateLimitBucketID)
    /// The provider's rate-limit headers lowered the local buckets of `bucket`.
    case correctedFromHeaders(bucket: RateLimitBucketID)
    /// A key left the pool: the provider answered 401 (``SluiceError/Code/authenticationFailed``) or
    /// `insufficient_quota` (``SluiceError/Code/insufficientQuota``).
    case keyRemoved(keyID: KeyID, reason: SluiceError.Code)
}
