extension CallOptions {
    private enum EventHandlersKey: CallOptionKey {
        typealias Value = [any ClientEventHandler]
    }

    /// Handlers that see only this call's events, after the client's and the task scope's.
    public var eventHandlers: [any ClientEventHandler] {
        get { self[EventHandlersKey.self] ?? [] }
        set { self[EventHandlersKey.self] = newValue }
    }
}
