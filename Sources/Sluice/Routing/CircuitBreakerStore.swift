import Synchronization

/// Where an ``LLMRouter`` keeps its deployments' circuits when they are shared: with other routers in
/// the process (``InMemoryCircuitBreakerStore``) or with other processes (SluiceRedis's
/// `RedisCircuitBreakerStore`), so that one replica's failures open a deployment's circuit for every
/// replica, and the half-open probes are limited across all of them.
///
/// ```swift
/// let router = try LLMRouter(deployments, breakerStore: sharedBreakers)
/// ```
///
/// Without a store (the default) each router keeps its own circuits. Circuits are named by their
/// deployment's ``Deployment/name``: routers share a deployment's circuit when they name it alike.
///
/// - Important: ``admit(_:policy:now:)`` and ``record(_:of:deployment:policy:now:)`` must each apply
///   atomically (the state machine of ``CircuitBreakerPolicy``), and never throw: a store that loses
///   its backend keeps circuits in the process until it is back. `now` is the router's clock; a
///   networked store may use its own.
public protocol CircuitBreakerStore: Sendable {
    /// Lets a call through `deployment`'s circuit, or refuses it while the circuit is open (or its
    /// probes are all out).
    nonisolated(nonsending) func admit(_ deployment: String, policy: CircuitBreakerPolicy, now: Duration) async
        -> CircuitBreakerAdmission

    /// Records how a call let through by `admission` ended; returns the state the circuit moved to, if
    /// it moved.
    nonisolated(nonsending) func record(
        _ outcome: CircuitBreakerOutcome, of admission: CircuitBreakerAdmission, deployment: String,
        policy: CircuitBreakerPolicy, now: Duration
    ) async -> CircuitState?
}

/// How a call that a circuit let through ended, for the circuit.
public enum CircuitBreakerOutcome: Sendable, Hashable {
    /// The deployment answered (a reply, or a failure the router does not fall back on).
    case success
    /// A failure of the router's fallback classes.
    case failure
    /// A cancellation: not counted.
    case ignored
}

/// A ``CircuitBreakerStore``'s answer to a call at a circuit.
public struct CircuitBreakerAdmission: Sendable, Hashable {
    /// Whether the call may go.
    public var admitted: Bool
    /// The circuit's state as the store answered.
    public var state: CircuitState
    /// For a probe of a half-open circuit, which opening of it (so that a late probe's outcome is not
    /// counted in a later one); `nil` for a call let through a closed circuit, or refused.
    public var probeGeneration: Int64?
    /// `.halfOpen` when this admission turned the open circuit half-open; `nil` otherwise.
    public var transition: CircuitState?
    /// For a refused call, how long until the circuit lets a probe through (zero when its probes are
    /// out).
    public var retryAfter: Duration

    public init(
        admitted: Bool, state: CircuitState, probeGeneration: Int64? = nil, transition: CircuitState? = nil,
        retryAfter: Duration = .zero
    ) {
        self.admitted = admitted
        self.state = state
        self.probeGeneration = probeGeneration
        self.transition = transition
        self.retryAfter = retryAfter
    }
}

/// A ``CircuitBreakerStore`` in this process: routers given the same one share their deployments'
/// circuits (by deployment name). Each circuit is made with the policy of the first call to reach it.
public final class InMemoryCircuitBreakerStore: CircuitBreakerStore {
    private let circuits = Mutex<[String: CircuitBreaker]>([:])

    public init() {}

    /// Each circuit's state by deployment name.
    public var states: [String: CircuitState] { circuits.withLock { $0.mapValues(\.state) } }

    public nonisolated(nonsending) func admit(_ deployment: String, policy: CircuitBreakerPolicy, now: Duration) async
        -> CircuitBreakerAdmission
    {
        circuits.withLock { circuits in
            var transition: CircuitState?
            var breaker = circuits[deployment] ?? CircuitBreaker(policy: policy)
            defer { circuits[deployment] = breaker }
            switch breaker.admit(at: now, transition: &transition) {
            case .normal:
                return CircuitBreakerAdmission(admitted: true, state: breaker.state, transition: transition)
            case .probe(let generation):
                return CircuitBreakerAdmission(
                    admitted: true, state: breaker.state, probeGeneration: Int64(generation), transition: transition)
            case nil:
                return CircuitBreakerAdmission(
                    admitted: false, state: breaker.state, transition: transition, retryAfter: breaker.retryAfter(at: now))
            }
        }
    }

    public nonisolated(nonsending) func record(
        _ outcome: CircuitBreakerOutcome, of admission: CircuitBreakerAdmission, deployment: String,
        policy: CircuitBreakerPolicy, now: Duration
    ) async -> CircuitState? {
        guard admission.admitted else { return nil }
        let passed: CircuitBreaker.Admission = admission.probeGeneration.map { .probe(generation: Int(clamping: $0)) } ?? .normal
        return circuits.withLock { circuits in
            guard var breaker = circuits[deployment] else { return nil }
            defer { circuits[deployment] = breaker }
            return breaker.record(outcome, admission: passed, at: now)
        }
    }
}
