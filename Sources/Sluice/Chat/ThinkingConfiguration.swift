/// Whether and how a model reasons before it answers (Anthropic's `thinking`).
///
/// Use it to turn on extended thinking for a request; the reasoning comes back as
/// ``ReplyBlock/thinking(_:)`` blocks on ``ChatResponse/blocks`` (and as
/// ``ChatStreamEvent/thinkingDelta(index:fragment:)`` events when streamed). Send a reply back with
/// ``ChatResponse/asMessage`` so its thinking blocks go back unmodified, as a tool loop needs.
///
/// ```swift
/// var request = ChatRequest(model: "claude-sonnet-4-5", messages: [.user("Plan my week.")])
/// request.maxOutputTokens = 16_000
/// request.thinking = .enabled(budgetTokens: 10_000)
/// ```
///
/// The Anthropic adapter writes `"thinking": {"type": "enabled", "budget_tokens": N}`,
/// `{"type": "adaptive"}` or `{"type": "disabled"}`. Anthropic counts the budget inside
/// `max_tokens`: when ``ChatRequest/maxOutputTokens`` is `nil`, the adapter sends
/// ``AnthropicAdapter/defaultMaxTokens`` plus the budget, and the rate limiter reserves
/// ``LLMClient/Configuration/assumedMaxOutputTokens`` plus the budget. Thinking tokens are output
/// tokens everywhere (usage, limits, cost). OpenAI-compatible adapters do not send this setting; use
/// ``ChatRequest/reasoningEffort`` for OpenAI reasoning models.
public struct ThinkingConfiguration: Sendable, Hashable {
    /// How thinking is set: `enabled` (with a budget), `adaptive` or `disabled`.
    public struct Mode: Hashable, Sendable, CustomStringConvertible {
        /// The wire value of the `type` field.
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Thinking with a fixed token budget.
        public static let enabled = Mode("enabled")
        /// The model decides how much to think (newer Anthropic models).
        public static let adaptive = Mode("adaptive")
        /// No thinking.
        public static let disabled = Mode("disabled")
    }

    /// The mode sent as `thinking.type`.
    public var mode: Mode
    /// The most tokens the model may spend thinking (`budget_tokens`); sent only when set and the
    /// mode is ``Mode/enabled``.
    public var budgetTokens: Int?

    public init(mode: Mode, budgetTokens: Int? = nil) {
        self.mode = mode
        self.budgetTokens = budgetTokens
    }

    /// Thinking with at most `budgetTokens` tokens of reasoning (Anthropic requires at least 1,024,
    /// and less than `max_tokens` unless interleaved thinking is on).
    public static func enabled(budgetTokens: Int) -> ThinkingConfiguration {
        ThinkingConfiguration(mode: .enabled, budgetTokens: budgetTokens)
    }

    /// Adaptive thinking: the model chooses its own budget.
    public static let adaptive = ThinkingConfiguration(mode: .adaptive)

    /// Thinking off, said explicitly.
    public static let disabled = ThinkingConfiguration(mode: .disabled)

    /// Whether the model thinks: any mode but ``Mode/disabled``.
    public var isEnabled: Bool { mode != .disabled }

    /// The tokens to add to an output reservation: the budget when one is sent, else 0.
    var reservedBudget: Int { mode == .enabled ? max(0, budgetTokens ?? 0) : 0 }
}
