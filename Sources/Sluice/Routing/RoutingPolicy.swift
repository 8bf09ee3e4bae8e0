/// How an ``LLMRouter`` chooses a deployment and when it falls back to the next.
///
/// ```swift
/// var policy = RoutingPolicy(strategy: .leastBusy)
/// policy.fallbackOn.remove(.contextWindowExceeded)   // every deployment serves the same model
/// policy.circuitBreaker = CircuitBreakerPolicy(consecutiveFailures: 3)
/// ```
public struct RoutingPolicy: Sendable, Hashable {
    /// Which deployment, of those whose circuit is not open, gets a call first. Whichever it is, the
    /// others follow as fallbacks in the order they were given.
    public enum Strategy: Sendable, Hashable {
        /// The first deployment in the list: an ordered fallback chain. The default.
        case ordered
        /// The deployment with the fewest calls in flight through the router (the earlier on a tie).
        case leastBusy
        /// The deployment whose successful calls have been fastest (an exponentially weighted moving
        /// average of their latency on the router's clock); a deployment not yet measured goes first.
        case lowestLatency
        /// A deployment drawn at random in proportion to its ``Deployment/weight``.
        case weighted
    }

    /// How the first deployment is chosen. Default ``Strategy/ordered``.
    public var strategy: Strategy
    /// The failures on which the router tries the next deployment. Default
    /// ``FallbackCondition/defaults``.
    public var fallbackOn: Set<FallbackCondition>
    /// The circuit breaker each deployment gets, or `nil` for none. Default
    /// ``CircuitBreakerPolicy/init(failureRatio:window:minimumCalls:consecutiveFailures:openDuration:halfOpenProbes:)``'s
    /// defaults.
    public var circuitBreaker: CircuitBreakerPolicy?

    /// A policy with the defaults documented on each property.
    public init(
        strategy: Strategy = .ordered,
        fallbackOn: Set<FallbackCondition> = FallbackCondition.defaults,
        circuitBreaker: CircuitBreakerPolicy? = CircuitBreakerPolicy()
    ) {
        self.strategy = strategy
        self.fallbackOn = fallbackOn
        self.circuitBreaker = circuitBreaker
    }
}
