import Sluice
import Synchronization

/// A ``ClientEventHandler`` for tests: records every event it sees, in order.
///
/// Attach it anywhere a handler goes — the client's configuration, one call's options, or a task
/// scope — then assert on what the layers did:
///
/// ```swift
/// let recorder = EventRecorder()
/// _ = try await withEventHandler(recorder) {
///     try await client.chat(request)
/// }
/// let call = try #require(recorder.callIDs.first)
/// #expect(recorder.kinds(forCall: call) == [.requestStarted, .requestSucceeded])
/// #expect(recorder.events(ofKind: .requestSucceeded).first?.usage?.outputTokens == 5)
/// ```
///
/// - Important: Thread-safe: events handled concurrently by many calls are kept in the order
///   `handle` was called, and each call's own events in their order. Every accessor returns a copy
///   taken under the lock.
public final class EventRecorder: ClientEventHandler {
    private let recorded = Mutex<[ClientEvent]>([])

    public init() {}

    public func handle(_ event: ClientEvent) {
        recorded.withLock { $0.append(event) }
    }

    /// Every event so far, in the order handled.
    public var events: [ClientEvent] { recorded.withLock { $0 } }

    /// The ids of the calls seen, in the order of their first event.
    public var callIDs: [UInt64] {
        var seen = Set<UInt64>()
        return events.compactMap { seen.insert($0.callID).inserted ? $0.callID : nil }
    }

    /// One call's events, in order.
    public func events(forCall callID: UInt64) -> [ClientEvent] {
        events.filter { $0.callID == callID }
    }

    /// The kinds of one call's events, in order.
    public func kinds(forCall callID: UInt64) -> [ClientEvent.Kind] {
        events(forCall: callID).map(\.kind)
    }

    /// The events of one kind, over all calls, in order.
    public func events(ofKind kind: ClientEvent.Kind) -> [ClientEvent] {
        events.filter { $0.kind == kind }
    }

    /// Forgets every event recorded so far.
    public func reset() {
        recorded.withLock { $0.removeAll() }
    }
}
