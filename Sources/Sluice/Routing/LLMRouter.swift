import Synchronization

/// Sends each call to one of several deployments, falling back to the next when one fails, and
/// skipping deployments whose circuit is open.
///
/// A ``Deployment`` is an ``LLMClient`` — its provider, base URL, key or key pool, limits and retry
/// policy all stay its own — with a name and an optional model. The router chooses the first
/// deployment by its ``RoutingPolicy/strategy`` among those whose circuit is not open, and tries the
/// rest in the order they were given when a call fails with a failure of
/// ``RoutingPolicy/fallbackOn`` (by default 429, 5xx, overloaded, time limits, connection failures and
/// context-window errors). A 400, a 401 or a cancellation is thrown at once. Each client's own
/// retries run first: the router sees the failure the client finally throws.
///
/// ```swift
/// let router = try LLMRouter([
///     Deployment(name: "primary", client: primaryClient),
///     Deployment(name: "secondary", client: secondaryClient, model: "gpt-4o-mini"),
/// ])
/// let reply = try await router.chat(ChatRequest(model: "gpt-4o", messages: [.user("Hi")]))
/// ```
///
/// When every deployment tried failed, the call throws ``SluiceError/Code/allDeploymentsFailed``
/// whose ``SluiceError/cause`` is a ``RoutingFailures`` naming each deployment's failure (codes and
/// statuses, never a key). When every circuit is open the router fails at once with
/// ``SluiceError/Code/allCircuitsOpen`` rather than sending to a deployment it believes is down: the
/// first circuit to reach the end of its open duration lets the next call through as its probe.
///
/// Each fallback, each deployment skipped for its open circuit and each circuit transition is a
/// ``ClientEvent`` (`fallback`, `circuit_skipped`, `circuit_opened`, `circuit_half_open`,
/// `circuit_closed`, with ``ClientEvent/deployment``) delivered to the router's
/// handlers, the task scope's (``withEventHandler(_:isolation:operation:)``) and the call's own
/// (``CallOptions/eventHandlers``); the deployments' clients report their own calls as usual.
///
/// - Important: The router shuts its clients down only when built with `ownsClients: true`;
///   otherwise ``shutdown()`` only refuses new calls and the clients stay yours to shut down.
public final class LLMRouter: Sendable {
    /// The deployments, in fallback order.
    public let deployments: [Deployment]
    /// How deployments are chosen and when the router falls back.
    public let policy: RoutingPolicy
    /// The clock for circuit times and latencies.
    public let clock: any SluiceClock
    /// The handlers that receive the router's events.
    public let eventHandlers: [any ClientEventHandler]
    /// Where the circuits are kept when shared with other routers or processes; `nil`: in the router.
    public let breakerStore: (any CircuitBreakerStore)?
    let random: @Sendable () -> Double
    let ownsClients: Bool
    let state: Mutex<State>

    /// The router's moving parts, one entry per deployment.
    struct State {
        var breakers: [CircuitBreaker?]
        /// With a ``breakerStore``: each circuit as the store last answered (`nil` before).
        var shared: [SharedCircuit?]
        var inFlight: [Int]
        /// The moving average of successful calls' latency, in seconds; `nil` before the first.
        var latency: [Double?]
        var shuttingDown = false
    }

    /// A router over `deployments`.
    ///
    /// - Parameters:
    ///   - deployments: where calls go, in fallback order.
    ///   - policy: how the first deployment is chosen, when to fall back, and the circuit breaker.
    ///   - clock: the clock for circuit times and latencies; `nil` takes the first deployment's
    ///     client's ``LLMClient/Configuration/clock``.
    ///   - eventHandlers: handlers for the router's `fallback` and circuit events.
    ///   - random: a number in `0..<1` for ``RoutingPolicy/Strategy/weighted`` (a value out of range
    ///     is clamped); inject one in tests.
    ///   - ownsClients: whether ``shutdown()`` shuts the deployments' clients down.
    ///   - breakerStore: where the deployments' circuits are kept, to share them with other routers or
    ///     processes (see ``CircuitBreakerStore``); `nil` (the default) keeps them in the router. Only
    ///     with a ``RoutingPolicy/circuitBreaker``.
    /// - Throws: ``SluiceError/Code/invalidRouting`` for an empty list, two deployments of one name, an
    ///   empty name, a weight that is not a finite number above zero, or a circuit breaker policy out of
    ///   range.
    public init(
        _ deployments: [Deployment],
        policy: RoutingPolicy = RoutingPolicy(),
        clock: (any SluiceClock)? = nil,
        eventHandlers: [any ClientEventHandler] = [],
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        ownsClients: Bool = false,
        breakerStore: (any CircuitBreakerStore)? = nil
    ) throws(SluiceError) {
        guard let first = deployments.first else {
            throw SluiceError(.invalidRouting, "a router needs at least one deployment")
        }
        var names: Set<String> = []
        for deployment in deployments {
            guard !deployment.name.isEmpty else {
                throw SluiceError(.invalidRouting, "a deployment's name must not be empty")
            }
            guard names.insert(deployment.name).inserted else {
                throw SluiceError(.invalidRouting, "two deployments are named \"\(deployment.name)\"")
            }
            guard deployment.weight.isFinite, deployment.weight > 0 else {
                throw SluiceError(
                    .invalidRouting,
                    "deployment \"\(deployment.name)\" has weight \(deployment.weight); a weight is a finite number above zero"
                )
            }
        }
        try policy.circuitBreaker?.validate()
        self.deployments = deployments
        self.policy = policy
        self.clock = clock ?? first.client.configuration.clock
        self.eventHandlers = eventHandlers
        self.random = random
        self.ownsClients = ownsClients
        self.breakerStore = breakerStore
        state = Mutex(
            State(
                breakers: deployments.map { _ in policy.circuitBreaker.map(CircuitBreaker.init(policy:)) },
                shared: deployments.map { _ in nil },
                inFlight: deployments.map { _ in 0 },
                latency: deployments.map { _ in nil }
            )
        )
    }

    /// Each deployment's circuit state by name (all `closed` with no circuit breaker): a gauge for
    /// metrics and health checks. With a ``breakerStore``, each as the store last answered this
    /// router (`closed` before its first call there).
    public var circuitStates: [String: CircuitState] {
        let states = state.withLock { state in
            zip(state.breakers, state.shared).map { breaker, shared in shared?.state ?? breaker?.state ?? .closed }
        }
        return Dictionary(uniqueKeysWithValues: zip(deployments.map(\.name), states))
    }

    /// Each deployment's calls in flight through the router, by name.
    public var inFlightCalls: [String: Int] {
        let counts = state.withLock { $0.inFlight }
        return Dictionary(uniqueKeysWithValues: zip(deployments.map(\.name), counts))
    }

    /// A shared circuit as the store last answered: its state, and until when the router skips it.
    struct SharedCircuit {
        var state: CircuitState
        var blockedUntil: Duration
    }

    /// Whether ``shutdown()`` has begun.
    public var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// Stops accepting calls (new ones throw ``SluiceError/Code/shutdown``); with `ownsClients`, also
    /// shuts down each deployment's client, which lets its calls in flight finish first. Idempotent.
    public func shutdown() async {
        state.withLock { $0.shuttingDown = true }
        guard ownsClients else { return }
        var seen: Set<ObjectIdentifier> = []
        let clients = deployments.map(\.client).filter { seen.insert(ObjectIdentifier($0)).inserted }
        await withTaskGroup(of: Void.self) { group in
            for client in clients { group.addTask { await client.shutdown() } }
        }
    }
}
