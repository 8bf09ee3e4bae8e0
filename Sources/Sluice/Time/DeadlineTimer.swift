import Dispatch
import Synchronization

/// One timer for many deadlines on one clock: a min-heap of `(deadline, id, action)` with a single
/// wake-up armed for its earliest entry, instead of a sleeping task per deadline.
///
/// The timeout layers (``DeadlineMiddleware``, ``AttemptTimeoutMiddleware``) and the concurrency
/// limiter's permit-wait deadline each own one, made with the layer, so a client's timers live and
/// end with its middleware chain. Cancelling a registration takes it out of the heap at once: a call
/// that ends before its timeouts holds no memory here afterwards, whatever the limits.
///
/// How it wakes depends on the clock:
/// - ``SystemClock``: one `DispatchSourceTimer`, re-armed in place when an earlier deadline comes in.
///   No task and no `Task.sleep` at all, so nothing outlives a cancellation (a cancelled
///   `ContinuousClock` sleep keeps its timer registered until its deadline on Linux, which made
///   memory grow with call rate × timeout when each call slept on its own).
/// - Any other clock (`TestClock` in tests): one task sleeping on the clock until the earliest
///   deadline. It is started when the heap stops being empty, replaced when an earlier deadline comes
///   in, and cancelled when the heap empties, so a test that sees no sleeper sees no pending timer.
///
/// ```swift
/// let timer = DeadlineTimer(clock: clock)
/// let id = timer.schedule(at: clock.now + .seconds(30)) { print("timed out") }
/// // … the work ended first:
/// if timer.cancel(id) { /* the action will never run */ }
/// ```
///
/// - Important: Each action runs exactly once, after the clock reaches its deadline, unless
///   ``cancel(_:)`` returned `true` for it; a `false` from `cancel` means it has run or is about to
///   (it was taken out of the heap to run), so an owner that must not act twice decides under its own
///   lock which side won. Actions run outside this timer's lock, on the waking thread or task, due
///   actions in deadline order; they must not block. ``schedule(at:_:)`` never runs the action
///   itself, even for a deadline already past, so it may be called under the caller's own lock (the
///   timer takes no other lock while holding its own). Safe to use from any task or thread.
final class DeadlineTimer: Sendable {
    /// What runs when a deadline passes.
    typealias Action = @Sendable () -> Void

    /// A registration, to cancel it.
    struct ID: Sendable {
        fileprivate let node: DeadlineHeap.Node
    }

    private struct State {
        var heap = DeadlineHeap()
        /// The sequence number of the last registration (ties between equal deadlines go in order).
        var sequence: UInt64 = 0
        /// When the wake-up is armed for; `nil` while nothing is armed.
        var armedAt: Duration?
        /// Dispatch waking (the system clock): made at the first deadline.
        var source: (any DispatchSourceTimer)?
        /// Task waking (any other clock): the sleeping task and which one is current.
        var driver: Task<Void, Never>?
        var driverGeneration: UInt64 = 0
    }

    let clock: any SluiceClock
    private let usesDispatch: Bool
    private let state = Mutex(State())

    /// A timer on `clock`; nothing is started before the first ``schedule(at:_:)``.
    init(clock: any SluiceClock) {
        self.clock = clock
        usesDispatch = clock is SystemClock
    }

    deinit {
        state.withLock { state in
            state.source?.cancel()
            state.driver?.cancel()
        }
    }

    /// Deadlines registered and neither run nor cancelled.
    var pendingCount: Int { state.withLock { $0.heap.count } }

    /// The earliest registered deadline, if any.
    var earliestDeadline: Duration? { state.withLock { $0.heap.earliest } }

    /// Runs `action` once the clock reaches `deadline`, unless cancelled first.
    @discardableResult
    func schedule(at deadline: Duration, _ action: @escaping Action) -> ID {
        schedule(at: deadline, work: .action(action))
    }

    /// Calls `target.deadlinePassed(tag: tag)` once the clock reaches `deadline`, unless cancelled
    /// first; as ``schedule(at:_:)`` in every other way, without a closure to allocate.
    @discardableResult
    func schedule(at deadline: Duration, target: some DeadlineTarget, tag: Int) -> ID {
        schedule(at: deadline, work: .target(target, tag: tag))
    }

    private func schedule(at deadline: Duration, work: DeadlineHeap.Node.Work) -> ID {
        state.withLock { state in
            state.sequence += 1
            let node = DeadlineHeap.Node(deadline: deadline, sequence: state.sequence, work: work)
            state.heap.insert(node)
            if let armedAt = state.armedAt, armedAt <= deadline { return ID(node: node) }
            arm(&state)
            return ID(node: node)
        }
    }

    /// Takes registration `id` out. `true`: its action will never run; `false`: it has run or is
    /// running (or was cancelled already).
    @discardableResult
    func cancel(_ id: ID) -> Bool {
        state.withLock { state in
            guard state.heap.remove(id.node) else { return false }
            // An earlier wake-up than needed is harmless (it finds nothing due and re-arms), but a
            // task left sleeping with nothing to wake for would outlive the work: stop it.
            if state.heap.isEmpty, !usesDispatch { disarm(&state) }
            return true
        }
    }

    // MARK: Waking

    /// Arms the wake-up for the earliest deadline (which is earlier than what is armed, if anything).
    private func arm(_ state: inout State) {
        guard let earliest = state.heap.earliest else { return }
        state.armedAt = earliest
        if usesDispatch {
            let source = state.source ?? makeSource()
            state.source = source
            source.schedule(deadline: .now() + Self.interval(earliest - clock.now))
        } else {
            state.driver?.cancel()
            state.driverGeneration += 1
            let generation = state.driverGeneration
            // Detached: it serves every caller, so it takes no caller's priority or task-local values.
            state.driver = Task.detached { [weak self, clock] in
                do { try await clock.sleep(until: earliest) } catch { return }
                self?.wake(generation: generation)
            }
        }
    }

    private func disarm(_ state: inout State) {
        state.armedAt = nil
        state.driverGeneration += 1
        state.driver?.cancel()
        state.driver = nil
    }

    private func makeSource() -> any DispatchSourceTimer {
        let source = DispatchSource.makeTimerSource()
        source.setEventHandler { [weak self] in self?.wake(generation: nil) }
        source.activate()
        return source
    }

    /// The armed wake-up came (`generation`: the driver task's, `nil` from dispatch): runs what is
    /// due, then arms for what is left.
    private func wake(generation: UInt64?) {
        let due: [DeadlineHeap.Node]? = state.withLock { state in
            if let generation {
                // A driver replaced or stopped meanwhile (its sleep ended before its cancellation).
                guard generation == state.driverGeneration else { return nil }
                state.driver = nil
            }
            state.armedAt = nil
            return state.heap.popDue(now: clock.now)
        }
        guard let due else { return }
        for node in due { node.run() }
        state.withLock { state in
            // An action (or another thread meanwhile) may have armed it already.
            guard state.armedAt == nil else { return }
            arm(&state)
        }
    }

    /// `duration` as a dispatch interval: at least zero, at most about 292 years.
    private static func interval(_ duration: Duration) -> DispatchTimeInterval {
        guard duration > .zero else { return .nanoseconds(0) }
        let (seconds, attoseconds) = duration.components
        guard seconds < 9_000_000_000 else { return .seconds(Int(Int32.max)) }
        return .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}

/// An object a ``DeadlineTimer`` wakes with the tag it was scheduled with.
protocol DeadlineTarget: AnyObject, Sendable {
    /// Runs as a scheduled action would: once, outside the timer's lock, and must not block.
    func deadlinePassed(tag: Int)
}
