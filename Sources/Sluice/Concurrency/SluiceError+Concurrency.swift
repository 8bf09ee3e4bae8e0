extension SluiceError.Code {
    // MARK: Concurrency

    /// The call's deadline passed while its request waited in ``ConcurrencyLimitMiddleware``'s queue
    /// for a concurrency permit, or had already passed when the request would have had to wait, or the
    /// calls queued ahead of it were projected to hold the permits past it.
    /// The request was never sent.
    public static let permitWaitExceedsDeadline = SluiceError.Code("permit_wait_exceeds_deadline")
}
