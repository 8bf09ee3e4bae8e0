extension CallOptions {
    private enum TimeoutsKey: CallOptionKey {
        typealias Value = TimeoutPolicy
    }

    /// Time limits for this call, replacing the client's ``TimeoutPolicy`` (all of it: copy
    /// ``TimeoutPolicy/default`` or the client's policy and change the fields you need).
    ///
    /// ```swift
    /// var options = CallOptions()
    /// options.timeouts = TimeoutPolicy(total: .seconds(20))
    /// ```
    public var timeouts: TimeoutPolicy? {
        get { self[TimeoutsKey.self] }
        set { self[TimeoutsKey.self] = newValue }
    }
}
