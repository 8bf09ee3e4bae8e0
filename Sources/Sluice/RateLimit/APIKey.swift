/// An API key for the rate limiter's key pool: the secret, an optional label, and its limits.
///
/// Use one per key you hold for a provider; the pool sends each request with the key that can admit
/// it soonest. Per-model limits replace the key's limits for that model, with buckets of their own
/// (OpenAI limits each model separately).
///
/// ```swift
/// let key = APIKey(
///     ProcessInfo.processInfo.environment["OPENAI_API_KEY"] ?? "",
///     label: "primary",
///     limits: RateLimits(requestsPerMinute: 500, tokensPerMinute: 200_000),
///     modelLimits: ["gpt-4o": RateLimits(requestsPerMinute: 100, tokensPerMinute: 30_000)]
/// )
/// ```
///
/// - Important: ``secret`` is never part of a description, a mirror, an event or an error: they show
///   ``id``, a short non-reversible ``KeyID`` (or the label).
public struct APIKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The key itself, as the provider issued it.
    public let secret: String
    /// A readable name, used as the key's ``id`` instead of the hash.
    public let label: String?
    /// The limits of the key, for every model without an entry in ``modelLimits``.
    public var limits: RateLimits
    /// Limits that replace ``limits`` for one model, keyed by the model name sent in the request.
    public var modelLimits: [String: RateLimits]
    /// The key's safe name for events, logs and errors.
    public let id: KeyID

    public init(_ secret: String, label: String? = nil, limits: RateLimits = .unlimited, modelLimits: [String: RateLimits] = [:]) {
        self.secret = secret
        self.label = label
        self.limits = limits
        self.modelLimits = modelLimits
        self.id = KeyID(apiKey: secret, label: label)
    }

    /// The limits that apply to `model`, and whether they are the model's own.
    func limits(for model: String) -> (limits: RateLimits, perModel: Bool) {
        if !modelLimits.isEmpty, let own = modelLimits[model] { return (own, true) }
        return (limits, false)
    }

    public var description: String { "APIKey(\(id), secret: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["id": id, "limits": limits, "modelLimits": modelLimits], displayStyle: .struct)
    }
}
