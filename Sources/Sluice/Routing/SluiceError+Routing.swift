extension SluiceError.Code {
    // MARK: Routing

    /// An ``LLMRouter`` was built with no deployments, two deployments of one name, a weight that is
    /// not a finite number above zero, or a ``CircuitBreakerPolicy`` out of range.
    public static let invalidRouting = SluiceError.Code("invalid_routing")
    /// Every deployment an ``LLMRouter`` tried failed with an error it falls back on; the
    /// ``SluiceError/cause`` is a ``RoutingFailures`` naming each deployment's failure, and the
    /// ``SluiceError/status`` is the last one's.
    public static let allDeploymentsFailed = SluiceError.Code("all_deployments_failed")
    /// Every deployment's circuit is open, so an ``LLMRouter`` failed the call at once without sending
    /// it; the ``SluiceError/cause`` is a ``RoutingFailures`` naming the deployments skipped.
    public static let allCircuitsOpen = SluiceError.Code("all_circuits_open")
    /// The provider refused the request because the prompt and the requested output do not fit the
    /// model's context window: OpenAI's `context_length_exceeded`, Anthropic's `prompt is too long`.
    /// Not retried; an ``LLMRouter`` may fall back to a deployment with a larger window
    /// (``FallbackCondition/contextWindowExceeded``).
    public static let contextWindowExceeded = SluiceError.Code("context_window_exceeded")
}

/// Why each deployment of an ``LLMRouter`` did not serve a call: the ``SluiceError/cause`` of
/// ``SluiceError/Code/allDeploymentsFailed`` and ``SluiceError/Code/allCircuitsOpen``.
public struct RoutingFailures: Error, Sendable, CustomStringConvertible {
    /// One deployment's outcome.
    public struct Failure: Sendable {
        /// The deployment's name.
        public var deployment: String
        /// The error its call ended with; `nil` when its circuit was open and it was skipped.
        public var error: SluiceError?

        public init(deployment: String, error: SluiceError?) {
            self.deployment = deployment
            self.error = error
        }

        /// `name: code (HTTP status)`, or `name: circuit open`.
        public var summary: String {
            guard let error else { return "\(deployment): circuit open" }
            return "\(deployment): \(error.code)" + (error.status.map { " (HTTP \($0))" } ?? "")
        }
    }

    /// The deployments in the order the router considered them.
    public var failures: [Failure]

    public init(failures: [Failure]) { self.failures = failures }

    /// Each deployment's summary, separated by `; ` (codes and statuses only, never provider text).
    public var description: String { failures.map(\.summary).joined(separator: "; ") }
}
