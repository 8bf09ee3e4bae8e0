extension SluiceError.Code {
    // MARK: Client

    /// The task making the call was cancelled; whatever the call held was released.
    public static let cancelled = SluiceError.Code("cancelled")
    /// The client's configuration is incomplete or invalid (a missing API key, say).
    public static let invalidConfiguration = SluiceError.Code("invalid_configuration")
}
