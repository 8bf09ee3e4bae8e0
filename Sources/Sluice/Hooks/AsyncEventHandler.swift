import Synchronization

/// A handler whose work per event is `async`: LangChain's `AsyncCallbackHandler`, for Sluice.
///
/// Implement it for work that waits (write to a database, send to a queue) and attach it through an
/// ``AsyncEventDelivery``, which calls it from a task of its own, one event at a time, in the order
/// the events happened; the call path never waits for it.
///
/// ```swift
/// struct AuditHandler: AsyncEventHandler {
///     let log: AuditLog
///     func handle(_ event: ClientEvent) async {
///         if event.kind == .requestSucceeded { await log.write(event.callID, event.usage) }
///     }
/// }
///
/// let audit = AsyncEventDelivery(AuditHandler(log: log))
/// configuration.eventHandlers.append(audit)
/// // … calls …
/// await audit.finish()   // delivers what is buffered, then returns
/// ```
public protocol AsyncEventHandler: Sendable {
    func handle(_ event: ClientEvent) async
}

/// Delivers events to an ``AsyncEventHandler`` from its own task through a bounded buffer.
///
/// - Events reach the handler one at a time, in the order they were handled: a call's events in
///   their order, concurrent calls' events interleaved as they happened.
/// - The buffer holds ``capacity`` events. When the handler falls behind and the buffer is full, an
///   event is dropped by ``EventStream/Dropping``: by default the oldest waiting one, so the handler
///   sees what is happening now. Every drop is counted in ``droppedCount``; the call path never waits.
/// - ``finish()`` stops taking events, delivers those buffered and returns when the handler has
///   seen the last; events after it are ignored. Without it, the delivery task ends when the
///   delivery is released.
public final class AsyncEventDelivery: ClientEventHandler {
    private let stream: EventStream
    private let consumer: Task<Void, Never>
    private let delivered = Counter()

    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    /// Starts delivering to `handler`.
    ///
    /// - Parameters:
    ///   - capacity: events held while the handler is behind (at least 1); default 1,024.
    ///   - dropping: which event to drop when full; default ``EventStream/Dropping/oldest``.
    public init(
        _ handler: some AsyncEventHandler, capacity: Int = 1_024, dropping: EventStream.Dropping = .oldest
    ) {
        let stream = EventStream(capacity: capacity, dropping: dropping)
        self.stream = stream
        let delivered = self.delivered
        consumer = Task {
            for await event in stream.events {
                await handler.handle(event)
                delivered.value.add(1, ordering: .relaxed)
            }
        }
    }

    /// How many events the buffer holds while the handler is behind.
    public var capacity: Int { stream.capacity }
    /// How many events were dropped because the buffer was full.
    public var droppedCount: Int { stream.droppedCount }
    /// How many events the handler has finished handling.
    public var deliveredCount: Int { delivered.value.load(ordering: .relaxed) }

    /// Buffers `event` for the handler; never waits.
    public func handle(_ event: ClientEvent) {
        stream.handle(event)
    }

    /// Stops taking events and returns once the handler has handled every buffered one. Idempotent.
    public func finish() async {
        stream.finish()
        await consumer.value
    }

    deinit {
        stream.finish()
    }
}
