import NIOCore
import NIOPosix
import Synchronization

/// A small pool of ``RedisConnection``s to one server: connects lazily, reconnects with capped
/// exponential backoff, and runs Lua scripts by their SHA-1 (loading them once, again after
/// `NOSCRIPT`).
///
/// ```swift
/// let client = RedisClient(configuration: try RedisConfiguration(url: "redis://127.0.0.1:6379/0"))
/// let pong = try await client.send(["PING"])
/// await client.close()
/// ```
///
/// - Important: While a reconnect backs off, commands fail at once with `connection_failed`
///   instead of waiting, so a caller with a fallback takes it without delay.
public final class RedisClient: Sendable {
    /// What happened to the client's connections, for events.
    public enum Event: Sendable, Hashable {
        /// A connection was made (`reconnected` when one was lost before).
        case connected(reconnected: Bool)
        /// A connection was lost or could not be made; the next attempt waits `retryIn`.
        case connectionLost(reason: String, retryIn: Duration)
        /// The server did not know a script (restarted or flushed) and it was loaded again.
        case scriptReloaded
    }

    private enum Slot {
        case idle
        case connecting(Task<RedisConnection, any Error>)
        case open(RedisConnection)
    }

    private struct State {
        var slots: [Slot]
        var next = 0
        /// No connection attempt before this instant (of the monotonic clock) after a failure.
        var retryAt: ContinuousClock.Instant?
        var backoff: Duration = .zero
        var lastFailure = ""
        var everConnected = false
        /// A connection was lost (or a reconnect failed) since the last one was made.
        var lostSinceConnect = false
        var scripts: [String: String] = [:]
        /// The SHA-1s of ``RedisScript``s, by identity.
        var scriptSHAs: [ObjectIdentifier: String] = [:]
        var closed = false
    }

    public let configuration: RedisConfiguration
    private let group: any EventLoopGroup
    private let onEvent: (@Sendable (Event) -> Void)?
    private let state: Mutex<State>

    /// Reconnect backoff: the first retry after this, doubling up to ``maxBackoff``.
    public static let initialBackoff: Duration = .milliseconds(100)
    public static let maxBackoff: Duration = .seconds(5)

    /// - Parameters:
    ///   - connections: how many connections to keep (commands are pipelined on each; default 2).
    ///   - onEvent: called on connect, loss and script reload; must not block.
    public init(
        configuration: RedisConfiguration,
        connections: Int = 2,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onEvent: (@Sendable (Event) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.group = group
        self.onEvent = onEvent
        self.state = Mutex(State(slots: Array(repeating: .idle, count: max(1, connections))))
    }

    /// Sends one command on the next connection of the pool.
    public func send(_ arguments: [String]) async throws -> RESPValue {
        try await onNextConnection { try await $0.send(arguments) }
    }

    /// Sends one command whose arguments are raw bytes.
    public func send(_ arguments: [[UInt8]]) async throws -> RESPValue {
        try await onNextConnection { try await $0.send(arguments) }
    }

    private func onNextConnection(_ send: (RedisConnection) async throws -> RESPValue) async throws -> RESPValue {
        let (connection, index) = try await connection()
        do {
            return try await send(connection)
        } catch let error as RedisError where error.code == .connectionFailed || error.code == .timedOut {
            lost(connection, index: index, reason: error.message)
            throw error
        }
    }

    /// Runs `script` (by SHA-1 once loaded) with these keys and arguments; an error reply throws.
    public func evaluate(_ script: String, keys: [String], arguments: [String]) async throws -> RESPValue {
        try await evaluate(keys: keys, arguments: arguments) { force in try await self.load(script, force: force) }
    }

    /// Runs `script` as the `String` variant does, finding its SHA-1 by the script's identity.
    func evaluate(_ script: RedisScript, keys: [String], arguments: [String]) async throws -> RESPValue {
        try await evaluate(keys: keys, arguments: arguments) { force in
            let id = ObjectIdentifier(script)
            if !force, let sha = self.state.withLock({ $0.scriptSHAs[id] }) { return sha }
            let sha = try await self.load(script.source, force: true)
            self.state.withLock { $0.scriptSHAs[id] = sha }
            return sha
        }
    }

    /// EVALSHA with the SHA-1 `sha` gives (`force`: load the script again first); on NOSCRIPT, once more with `force`.
    private func evaluate(keys: [String], arguments: [String], sha: (_ force: Bool) async throws -> String) async throws
        -> RESPValue
    {
        for attempt in 0..<2 {
            var command: [String] = []
            command.reserveCapacity(3 + keys.count + arguments.count)
            command.append("EVALSHA")
            command.append(try await sha(attempt > 0))
            command.append(String(keys.count))
            command.append(contentsOf: keys)
            command.append(contentsOf: arguments)
            let reply = try await send(command)
            if case .error(let message) = reply, message.hasPrefix("NOSCRIPT"), attempt == 0 {
                onEvent?(.scriptReloaded)
                continue
            }
            return try reply.orThrow()
        }
        throw RedisError(.serverError, "the server keeps forgetting a script it was just sent")
    }

    /// Closes every connection; later commands fail with `connection_failed`.
    public func close() async {
        let slots: [Slot] = state.withLock { state in
            state.closed = true
            defer { state.slots = Array(repeating: .idle, count: state.slots.count) }
            return state.slots
        }
        for slot in slots {
            switch slot {
            case .open(let connection): await connection.close()
            case .connecting(let task): if let connection = try? await task.value { await connection.close() }
            case .idle: break
            }
        }
    }

    private func load(_ script: String, force: Bool) async throws -> String {
        if !force, let sha = state.withLock({ $0.scripts[script] }) { return sha }
        let reply = try await send(["SCRIPT", "LOAD", script]).orThrow()
        guard let sha = reply.string, sha.utf8.count == 40 else {
            throw RedisError(.unexpectedReply, "SCRIPT LOAD answered \(reply) instead of a SHA-1")
        }
        state.withLock { $0.scripts[script] = sha }
        return sha
    }

    /// An open connection of the pool (round robin), connecting the slot if needed.
    private func connection() async throws -> (RedisConnection, Int) {
        enum Step {
            case ready(RedisConnection)
            case wait(Task<RedisConnection, any Error>)
            case refuse(RedisError)
        }
        let configuration = self.configuration
        let group = self.group
        let (step, index): (Step, Int) = state.withLock { state in
            if state.closed { return (.refuse(RedisError(.connectionFailed, "the client is closed")), 0) }
            let index = state.next % state.slots.count
            state.next &+= 1
            switch state.slots[index] {
            case .open(let connection) where connection.isActive: return (.ready(connection), index)
            case .connecting(let task): return (.wait(task), index)
            case .open, .idle:
                if case .open = state.slots[index] {
                    // Found closed (the server went away): the next connection is a reconnect.
                    state.slots[index] = .idle
                    state.lostSinceConnect = true
                }
                if let retryAt = state.retryAt, ContinuousClock.now < retryAt {
                    return (.refuse(RedisError(.connectionFailed, "reconnecting after: \(state.lastFailure)")), index)
                }
                let task = Task { try await RedisConnection.connect(to: configuration, group: group) }
                state.slots[index] = .connecting(task)
                return (.wait(task), index)
            }
        }
        switch step {
        case .ready(let connection): return (connection, index)
        case .refuse(let error): throw error
        case .wait(let task):
            do {
                let connection = try await task.value
                let reconnected: Bool? = state.withLock { state in
                    guard case .connecting = state.slots[index] else { return nil }
                    state.slots[index] = .open(connection)
                    state.retryAt = nil
                    state.backoff = .zero
                    defer {
                        state.everConnected = true
                        state.lostSinceConnect = false
                    }
                    return state.lostSinceConnect
                }
                if let reconnected { onEvent?(.connected(reconnected: reconnected)) }
                return (connection, index)
            } catch {
                failed(index: index, reason: "\(error)")
                throw error
            }
        }
    }

    private func failed(index: Int, reason: String) {
        let delay: Duration? = state.withLock { state in
            guard case .connecting = state.slots[index] else { return nil }
            state.slots[index] = .idle
            return backOff(&state, reason: reason)
        }
        if let delay { onEvent?(.connectionLost(reason: reason, retryIn: delay)) }
    }

    private func lost(_ connection: RedisConnection, index: Int, reason: String) {
        let delay: Duration? = state.withLock { state in
            guard case .open(let current) = state.slots[index], current === connection else { return nil }
            state.slots[index] = .idle
            return backOff(&state, reason: reason)
        }
        guard let delay else { return }
        Task { await connection.close() }
        onEvent?(.connectionLost(reason: reason, retryIn: delay))
    }

    private func backOff(_ state: inout State, reason: String) -> Duration {
        state.backoff = state.backoff == .zero ? Self.initialBackoff : min(Self.maxBackoff, state.backoff * 2)
        state.retryAt = ContinuousClock.now + state.backoff
        state.lastFailure = reason
        if state.everConnected { state.lostSinceConnect = true }
        return state.backoff
    }
}
