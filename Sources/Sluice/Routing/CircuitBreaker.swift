/// One deployment's circuit: the state machine of ``CircuitBreakerPolicy``, kept behind the router's
/// lock. Every method takes the time from the caller, so it never reads a clock itself.
struct CircuitBreaker {
    /// How a call was let through.
    enum Admission: Equatable {
        /// While the circuit was closed.
        case normal
        /// As a probe of the half-open circuit entered `generation` times.
        case probe(generation: Int)
    }

    /// How a call that was let through ended, for the circuit.
    typealias Outcome = CircuitBreakerOutcome

    /// One tenth of the window: the calls that ended in it.
    private struct Slot {
        var index: Int64 = .min
        var successes = 0
        var failures = 0
    }

    private static let slotCount = 10

    let policy: CircuitBreakerPolicy
    private(set) var state = CircuitState.closed
    private var reopensAt = Duration.zero
    private var consecutiveFailures = 0
    private var slots = [Slot](repeating: Slot(), count: CircuitBreaker.slotCount)
    private let slotLength: Duration
    private var generation = 0
    private var probesInFlight = 0
    private var probeSuccesses = 0

    init(policy: CircuitBreakerPolicy) {
        self.policy = policy
        let length = policy.window / Self.slotCount
        slotLength = length > .zero ? length : .nanoseconds(1)
    }

    /// Whether a call would be let through now (without letting it through).
    func isAvailable(at now: Duration) -> Bool {
        switch state {
        case .closed: true
        case .open: now >= reopensAt
        case .halfOpen: probesInFlight < policy.halfOpenProbes
        }
    }

    /// How long until an open circuit lets a probe through (zero when it is not open).
    func retryAfter(at now: Duration) -> Duration {
        state == .open ? max(.zero, reopensAt - now) : .zero
    }

    /// Lets a call through, or returns `nil` when the circuit is open (or its probes are all out);
    /// `transition` is set when the open circuit turned half-open.
    mutating func admit(at now: Duration, transition: inout CircuitState?) -> Admission? {
        if state == .open {
            guard now >= reopensAt else { return nil }
            state = .halfOpen
            generation += 1
            probesInFlight = 0
            probeSuccesses = 0
            transition = .halfOpen
        }
        guard state == .halfOpen else { return .normal }
        guard probesInFlight < policy.halfOpenProbes else { return nil }
        probesInFlight += 1
        return .probe(generation: generation)
    }

    /// Records how a call let through by `admission` ended; returns the state the circuit moved to,
    /// if it moved.
    mutating func record(_ outcome: Outcome, admission: Admission, at now: Duration) -> CircuitState? {
        switch admission {
        case .normal:
            // A call let through while closed that ends after the circuit opened says nothing new.
            guard state == .closed, outcome != .ignored else { return nil }
            let failed = outcome == .failure
            count(failed: failed, at: now)
            consecutiveFailures = failed ? consecutiveFailures + 1 : 0
            guard failed, shouldOpen(at: now) else { return nil }
            open(at: now)
            return .open
        case .probe(let probeGeneration):
            guard state == .halfOpen, probeGeneration == generation else { return nil }
            probesInFlight -= 1
            switch outcome {
            case .ignored:
                return nil
            case .failure:
                open(at: now)
                return .open
            case .success:
                probeSuccesses += 1
                guard probeSuccesses >= policy.halfOpenProbes else { return nil }
                state = .closed
                consecutiveFailures = 0
                slots = [Slot](repeating: Slot(), count: Self.slotCount)
                return .closed
            }
        }
    }

    private mutating func open(at now: Duration) {
        state = .open
        reopensAt = now + policy.openDuration
        probesInFlight = 0
    }

    private func shouldOpen(at now: Duration) -> Bool {
        if let limit = policy.consecutiveFailures, consecutiveFailures >= limit { return true }
        let current = slotIndex(at: now)
        var calls = 0
        var failures = 0
        for slot in slots where slot.index > current - Int64(Self.slotCount) && slot.index <= current {
            calls += slot.successes + slot.failures
            failures += slot.failures
        }
        guard calls >= policy.minimumCalls else { return false }
        return Double(failures) >= policy.failureRatio * Double(calls)
    }

    private mutating func count(failed: Bool, at now: Duration) {
        let index = slotIndex(at: now)
        let position = Int(index.magnitude % UInt64(Self.slotCount))
        if slots[position].index != index { slots[position] = Slot(index: index) }
        if failed {
            slots[position].failures += 1
        } else {
            slots[position].successes += 1
        }
    }

    /// The slot `now` falls in, saturating (a clock far from its origin never traps).
    private func slotIndex(at now: Duration) -> Int64 {
        let ratio = (now / slotLength).rounded(.down)
        guard ratio.isFinite else { return ratio > 0 ? Int64.max / 2 : 0 }
        return Int64(max(0, min(ratio, Double(Int64.max / 2))))
    }
}
