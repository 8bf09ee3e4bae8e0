/// A provider-neutral chat reply.
public struct ChatResponse: Sendable, Hashable {
    /// The provider's id for the completion or message.
    public var id: String
    /// The model that answered, as the provider names it.
    public var model: String
    /// The reply's text parts joined.
    public var text: String
    public var toolCalls: [ToolCall]
    /// Why generation stopped, normalised across providers; `nil` if the reply did not say.
    public var finishReason: FinishReason?
    public var usage: Usage?
    /// The provider's request id (`x-request-id`, `request-id`), for support tickets.
    public var requestID: String?
    public var provider: Provider

    public init(
        id: String = "",
        model: String = "",
        text: String = "",
        toolCalls: [ToolCall] = [],
        finishReason: FinishReason? = nil,
        usage: Usage? = nil,
        requestID: String? = nil,
        provider: Provider
    ) {
        self.id = id
        self.model = model
        self.text = text
        self.toolCalls = toolCalls
        self.finishReason = finishReason
        self.usage = usage
        self.requestID = requestID
        self.provider = provider
    }
}

/// Why generation stopped: a normalised value and the provider's own word.
///
/// Compare with the static members; ``raw`` keeps what the provider said (`end_turn`, `max_tokens`,
/// `tool_use`, `stop`, `length`, `tool_calls`, `content_filter`, …).
public struct FinishReason: Hashable, Sendable, CustomStringConvertible {
    /// The normalised reason: `stop`, `length`, `tool_calls`, `content_filter`, `refusal`, `pause`
    /// or `other`.
    public let normalized: String
    /// The provider's own value.
    public let raw: String

    public init(normalized: String, raw: String) {
        self.normalized = normalized
        self.raw = raw
    }

    public var description: String { normalized == raw ? raw : "\(normalized) (\(raw))" }

    /// Whether two reasons have the same normalised value (the raw word is ignored).
    public func matches(_ other: FinishReason) -> Bool { normalized == other.normalized }

    /// The model finished its turn or hit a stop sequence.
    public static let stop = FinishReason(normalized: "stop", raw: "stop")
    /// The reply hit the output token limit.
    public static let length = FinishReason(normalized: "length", raw: "length")
    /// The model called one or more tools.
    public static let toolCalls = FinishReason(normalized: "tool_calls", raw: "tool_calls")
    /// The provider's content filter cut the reply.
    public static let contentFilter = FinishReason(normalized: "content_filter", raw: "content_filter")
    /// The model refused.
    public static let refusal = FinishReason(normalized: "refusal", raw: "refusal")
    /// The provider paused a long turn (Anthropic `pause_turn`); send the reply back to continue.
    public static let pause = FinishReason(normalized: "pause", raw: "pause_turn")
}

/// Token counts for one call.
public struct Usage: Sendable, Hashable {
    /// Prompt tokens, including cached ones (OpenAI `prompt_tokens`; Anthropic `input_tokens` +
    /// cache reads + cache writes).
    public var inputTokens: Int
    public var outputTokens: Int
    /// Input tokens served from the provider's prompt cache.
    public var cachedInputTokens: Int?
    /// Input tokens written to the prompt cache (Anthropic `cache_creation_input_tokens`).
    public var cacheCreationInputTokens: Int?
    /// Output tokens spent on reasoning, where reported.
    public var reasoningTokens: Int?

    public init(
        inputTokens: Int = 0,
        outputTokens: Int = 0,
        cachedInputTokens: Int? = nil,
        cacheCreationInputTokens: Int? = nil,
        reasoningTokens: Int? = nil
    ) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedInputTokens = cachedInputTokens
        self.cacheCreationInputTokens = cacheCreationInputTokens
        self.reasoningTokens = reasoningTokens
    }

    /// Input plus output tokens (held at `Int.max` rather than overflowing).
    public var totalTokens: Int { inputTokens.saturatingAdding(outputTokens) }
}

/// An LLM provider's wire dialect.
public struct Provider: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public init(_ name: String) { self.name = name }
    public var description: String { name }

    /// OpenAI's chat completions and embeddings, and every server compatible with them.
    public static let openAI = Provider("openai")
    /// Anthropic's messages API.
    public static let anthropic = Provider("anthropic")
}
