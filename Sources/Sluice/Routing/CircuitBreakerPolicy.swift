/// When a deployment's circuit opens, how long it stays open, and how it closes again.
///
/// An ``LLMRouter`` keeps one circuit per deployment. Only failures of the router's fallback classes
/// (``RoutingPolicy/fallbackOn``) count against it; any other answer — a reply, or a 400 the
/// deployment gave — counts as a success, since the deployment answered, and a cancelled call is not
/// counted at all.
///
/// - **Closed** (calls flow): the circuit opens when ``consecutiveFailures`` calls in a row failed,
///   or when at least ``minimumCalls`` calls ended within the last ``window`` and the share that
///   failed reached ``failureRatio``.
/// - **Open**: the router skips the deployment for ``openDuration``.
/// - **Half-open**: after that, up to ``halfOpenProbes`` calls go through as probes; when that many
///   succeed the circuit closes (with a fresh window), and any probe's failure opens it again.
///
/// ```swift
/// let breaker = CircuitBreakerPolicy(consecutiveFailures: 3, openDuration: .seconds(10))
/// ```
///
/// Times are on the router's clock, so a `TestClock` drives them in tests. The window is kept as 10
/// slots of counts, so the memory is fixed however many calls pass.
public struct CircuitBreakerPolicy: Sendable, Hashable {
    /// The share of failed calls in the window that opens the circuit, in (0, 1]. Default 0.5.
    public var failureRatio: Double
    /// How far back the failure ratio looks. More than zero. Default 30 seconds.
    public var window: Duration
    /// The fewest calls in the window before the ratio can open the circuit. At least 1. Default 10.
    public var minimumCalls: Int
    /// Failures in a row that open the circuit whatever the ratio, or `nil` to open on the ratio only.
    /// At least 1. Default 5.
    public var consecutiveFailures: Int?
    /// How long the circuit stays open before probes are let through. At least zero. Default 30 seconds.
    public var openDuration: Duration
    /// How many probe calls a half-open circuit lets through at once, and how many must succeed to
    /// close it. At least 1. Default 1.
    public var halfOpenProbes: Int

    /// A policy with the defaults documented on each property; ``LLMRouter/init(_:policy:clock:eventHandlers:random:ownsClients:breakerStore:)``
    /// validates it.
    public init(
        failureRatio: Double = 0.5,
        window: Duration = .seconds(30),
        minimumCalls: Int = 10,
        consecutiveFailures: Int? = 5,
        openDuration: Duration = .seconds(30),
        halfOpenProbes: Int = 1
    ) {
        self.failureRatio = failureRatio
        self.window = window
        self.minimumCalls = minimumCalls
        self.consecutiveFailures = consecutiveFailures
        self.openDuration = openDuration
        self.halfOpenProbes = halfOpenProbes
    }

    /// Throws ``SluiceError/Code/invalidRouting`` for a value out of range.
    func validate() throws(SluiceError) {
        func invalid(_ message: String) -> SluiceError {
            SluiceError(.invalidRouting, "invalid circuit breaker policy: \(message)")
        }
        guard failureRatio.isFinite, failureRatio > 0, failureRatio <= 1 else {
            throw invalid("failureRatio must be in (0, 1], not \(failureRatio)")
        }
        guard window > .zero else { throw invalid("window must be more than zero") }
        guard minimumCalls >= 1 else { throw invalid("minimumCalls must be at least 1, not \(minimumCalls)") }
        if let consecutiveFailures, consecutiveFailures < 1 {
            throw invalid("consecutiveFailures must be at least 1, not \(consecutiveFailures)")
        }
        guard openDuration >= .zero else { throw invalid("openDuration must be at least zero") }
        guard halfOpenProbes >= 1 else { throw invalid("halfOpenProbes must be at least 1, not \(halfOpenProbes)") }
    }
}

/// The state of a deployment's circuit (see ``CircuitBreakerPolicy``).
public enum CircuitState: String, Sendable, Hashable, CustomStringConvertible {
    /// Calls flow; failures are counted.
    case closed
    /// The deployment is skipped until the open duration has passed.
    case open
    /// Probe calls are let through; their outcome closes or reopens the circuit.
    case halfOpen = "half_open"

    public var description: String { rawValue }
}
