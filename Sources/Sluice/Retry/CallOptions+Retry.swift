extension CallOptions {
    private enum RetryPolicyKey: CallOptionKey {
        typealias Value = RetryPolicy
    }

    /// The retry policy for this call, replacing the client's.
    ///
    /// ```swift
    /// var options = CallOptions()
    /// options.retryPolicy = .disabled
    /// ```
    public var retryPolicy: RetryPolicy? {
        get { self[RetryPolicyKey.self] }
        set { self[RetryPolicyKey.self] = newValue }
    }
}
