extension CallOptions {
    private enum StreamLimitsKey: CallOptionKey {
        typealias Value = StreamLimits
    }

    /// Size limits for this call's stream, replacing the client's
    /// ``LLMClient/Configuration/streamLimits``.
    ///
    /// ```swift
    /// var options = CallOptions()
    /// options.streamLimits = StreamLimits(maxBytes: 1 << 20)
    /// ```
    public var streamLimits: StreamLimits? {
        get { self[StreamLimitsKey.self] }
        set { self[StreamLimitsKey.self] = newValue }
    }
}
