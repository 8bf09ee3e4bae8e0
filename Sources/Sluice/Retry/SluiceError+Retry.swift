extension SluiceError.Code {
    // MARK: Retry

    /// The server asked for a retry delay (`retry-after-ms`, `retry-after`, or a rate-limit reset
    /// header on a 429) longer than ``RetryPolicy/maxServerDelay``, so the call failed at once instead
    /// of sleeping. The error's ``SluiceError/status`` and ``SluiceError/requestID`` are the answer's.
    public static let retryDelayTooLong = SluiceError.Code("retry_delay_too_long")
}
