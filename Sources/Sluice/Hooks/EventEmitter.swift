/// Delivers one call's events to the handlers in scope for it: the client's, the task scope's at the
/// moment the call began, and the call's own.
///
/// Carried in ``ClientContext/events``; layers call ``emit(_:_:fill:)``. With no handlers in scope an
/// emit costs one branch.
public struct EventEmitter: Sendable {
    let handlers: [any ClientEventHandler]
    let clock: any SluiceClock

    public init(handlers: [any ClientEventHandler], clock: any SluiceClock) {
        self.handlers = handlers
        self.clock = clock
    }

    /// No handlers: every emit returns at once.
    public static var none: EventEmitter { EventEmitter(handlers: [], clock: SystemClock.shared) }

    /// Whether any handler listens; check before building an expensive event.
    @inline(__always)
    public var isEnabled: Bool { !handlers.isEmpty }

    /// Emits `kind` for the call described by `context`, after `fill` sets the kind's fields.
    @inline(__always)
    public func emit(_ kind: ClientEvent.Kind, _ context: ClientContext, fill: (inout ClientEvent) -> Void = { _ in }) {
        guard !handlers.isEmpty else { return }
        deliver(kind, context, fill)
    }

    @inline(never)
    private func deliver(_ kind: ClientEvent.Kind, _ context: ClientContext, _ fill: (inout ClientEvent) -> Void) {
        var event = ClientEvent(
            kind: kind,
            callID: context.callID,
            provider: context.provider,
            model: context.model,
            operation: context.operation,
            attempt: context.attempt,
            keyID: context.keyID,
            instant: clock.now
        )
        fill(&event)
        for handler in handlers { handler.handle(event) }
    }
}
