import NIOCore
import Synchronization

/// Tells a request whether its client is still connected, and wakes it as soon as it is not.
///
/// One per connection, owned by ``ConnectionWatchHandler``. A handler waiting between tokens or
/// during a stall calls ``pause(_:)``, which returns early when the connection closes, so the
/// server notices a departed client at once rather than at its next write.
final class ConnectionMonitor: Sendable {
    private struct State: Sendable {
        var closed = false
        var nextWaiterID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var cancelledWaiters: Set<Int> = []
    }

    private let state = Mutex(State())

    var isClosed: Bool {
        self.state.withLock { $0.closed }
    }

    /// Marks the connection closed and wakes every waiter. Idempotent.
    func markClosed() {
        let waiters = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.closed else { return [] }
            state.closed = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits up to `duration`. Returns `false` if the connection closed first (or was already
    /// closed), `true` otherwise. Throws `CancellationError` if the task is cancelled.
    func pause(_ duration: Duration) async throws -> Bool {
        if self.isClosed { return false }
        if duration <= .zero { return true }
        let closed = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await Task.sleep(for: duration)
                return false
            }
            group.addTask {
                await self.waitUntilClosed()
                return !Task.isCancelled
            }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
        try Task.checkCancellation()
        return !closed
    }

    /// Returns when the connection closes or the task is cancelled.
    private func waitUntilClosed() async {
        let id = self.state.withLock { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = self.state.withLock { state -> Bool in
                    if state.closed || state.cancelledWaiters.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                if !state.closed { state.cancelledWaiters.insert(id) }
                return nil
            }
            waiter?.resume()
        }
    }
}

/// The monitors of open connections, found by their channel.
final class ConnectionRegistry: Sendable {
    private let monitors = Mutex<[ObjectIdentifier: ConnectionMonitor]>([:])

    func register(_ monitor: ConnectionMonitor, for channel: any Channel) {
        self.monitors.withLock { $0[ObjectIdentifier(channel)] = monitor }
    }

    func unregister(_ channel: any Channel) {
        _ = self.monitors.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    func monitor(for channel: (any Channel)?) -> ConnectionMonitor? {
        guard let channel else { return nil }
        return self.monitors.withLock { $0[ObjectIdentifier(channel)] }
    }
}

/// A pipeline handler that watches one connection for the client leaving.
///
/// When the client closes its side (`inputClosed`), the mock closes the whole connection: no LLM
/// client half-closes and then waits for an answer, and closing at once lets an in-progress
/// response stop immediately. On `channelInactive` it wakes whatever the request was waiting on.
final class ConnectionWatchHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let registry: ConnectionRegistry
    private let monitor = ConnectionMonitor()

    init(registry: ConnectionRegistry) {
        self.registry = registry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.registry.register(self.monitor, for: context.channel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.monitor.markClosed()
        self.registry.unregister(context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.monitor.markClosed()
        self.registry.unregister(context.channel)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            self.monitor.markClosed()
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}

@available(*, unavailable)
extension ConnectionWatchHandler: Sendable {}
