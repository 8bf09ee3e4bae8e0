/// How hard an OpenAI reasoning model thinks before it answers (`reasoning_effort`).
///
/// ```swift
/// var request = ChatRequest(model: "o4-mini", messages: [.user("Prove it.")])
/// request.reasoningEffort = .low
/// ```
///
/// The OpenAI and Azure OpenAI adapters send it as `reasoning_effort`; the Anthropic adapter does not
/// (use ``ChatRequest/thinking``). Reasoning tokens are part of the reply's output tokens
/// (``Usage/outputTokens``, with ``Usage/reasoningTokens`` saying how many), so the rate limiter and
/// cost count them as output. A value this type does not name can be sent with ``init(_:)``.
public struct ReasoningEffort: Hashable, Sendable, CustomStringConvertible {
    /// The wire value.
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// As little reasoning as the model allows.
    public static let minimal = ReasoningEffort("minimal")
    public static let low = ReasoningEffort("low")
    public static let medium = ReasoningEffort("medium")
    public static let high = ReasoningEffort("high")
}
