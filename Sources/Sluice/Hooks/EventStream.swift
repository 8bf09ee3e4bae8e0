import Synchronization

/// Hands client events to an async consumer through a bounded buffer that drops rather than blocks.
///
/// The counterpart of LangChain's `AsyncCallbackHandler`: ``ClientEventHandler/handle(_:)`` must
/// return at once, so to do slow or async work per event (write to a database, send to a queue,
/// update a UI) attach an `EventStream` and consume ``events`` in a task of your own:
///
/// ```swift
/// let stream = EventStream(capacity: 1_024)
/// var configuration = LLMClient.Configuration.openAI(apiKey: key)
/// configuration.eventHandlers.append(stream)
///
/// let consumer = Task {
///     for await event in stream.events {
///         await auditLog.write(event)          // as slow as it needs to be
///     }
/// }
/// // … calls …
/// stream.finish()                              // the loop ends after the buffered events
/// await consumer.value
/// if stream.droppedCount > 0 { logger.warning("dropped \(stream.droppedCount) events") }
/// ```
///
/// When the consumer falls behind and ``capacity`` events are waiting, a new event makes room
/// according to ``Dropping``: by default the *oldest* waiting event is dropped, so the consumer
/// catches up with what is happening now (``Dropping/newest`` keeps the backlog and drops the new
/// event instead). Every drop is counted in ``droppedCount``.
///
/// - Important: ``handle(_:)`` never waits for the consumer: it takes one short lock inside
///   `AsyncStream` and returns, from any task, so a slow or absent consumer never slows a request.
///   ``events`` has a single consumer: iterate it from one task only. Events of one call arrive in
///   order; events of concurrent calls interleave in the order they were handled. After ``finish()``,
///   or once the consuming task is cancelled, later events are ignored (not counted as drops).
public final class EventStream: ClientEventHandler {
    /// Which event to drop when the buffer is full.
    public struct Dropping: Hashable, Sendable, CustomStringConvertible {
        enum Value: Hashable, Sendable { case oldest, newest }
        let value: Value

        /// Drop the oldest buffered event to make room for the new one (the default): the consumer
        /// sees the most recent events.
        public static let oldest = Dropping(value: .oldest)
        /// Drop the new event and keep the buffered ones: the consumer sees an unbroken backlog,
        /// then a gap.
        public static let newest = Dropping(value: .newest)

        public var description: String { value == .oldest ? "oldest" : "newest" }
    }

    /// The events, in the order they were handled; ends after ``finish()``.
    ///
    /// - Important: Single consumer: iterate from one task only.
    public let events: AsyncStream<ClientEvent>

    /// How many events the buffer holds before it drops.
    public let capacity: Int
    /// Which event is dropped when the buffer is full.
    public let dropping: Dropping

    private let continuation: AsyncStream<ClientEvent>.Continuation
    private let dropped = Atomic<Int>(0)

    /// A stream that buffers up to `capacity` events (at least 1) for its consumer.
    ///
    /// - Parameters:
    ///   - capacity: events held while the consumer is behind; default 1,024.
    ///   - dropping: which event to drop when full; default ``Dropping/oldest``.
    public init(capacity: Int = 1_024, dropping: Dropping = .oldest) {
        let capacity = max(1, capacity)
        self.capacity = capacity
        self.dropping = dropping
        let policy: AsyncStream<ClientEvent>.Continuation.BufferingPolicy =
            dropping == .oldest ? .bufferingNewest(capacity) : .bufferingOldest(capacity)
        (events, continuation) = AsyncStream.makeStream(of: ClientEvent.self, bufferingPolicy: policy)
    }

    /// How many events were dropped because the buffer was full.
    public var droppedCount: Int { dropped.load(ordering: .relaxed) }

    /// Buffers `event` for the consumer, dropping one event if the buffer is full. Never blocks.
    public func handle(_ event: ClientEvent) {
        if case .dropped = continuation.yield(event) {
            dropped.add(1, ordering: .relaxed)
        }
    }

    /// Ends ``events``: the consumer receives what is buffered, then the loop ends. Idempotent.
    public func finish() {
        continuation.finish()
    }

    deinit {
        continuation.finish()
    }
}
