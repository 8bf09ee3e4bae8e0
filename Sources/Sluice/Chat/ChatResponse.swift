/// A provider-neutral chat reply.
///
/// Read ``text`` and ``toolCalls`` for the answer; ``blocks`` has the whole reply in order, reasoning
/// included (``ReplyBlock``). To continue the conversation, append ``asMessage``: it carries the
/// thinking blocks back unmodified, as Anthropic requires in a tool loop with thinking on.
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
    /// The status and headers of the HTTP answer this reply was decoded from, or the stream
    /// was read from, (`nil` for a reply
    /// built by hand).
    public var responseHead: HTTPResponseHead?
    /// The blocks a decoder set, or `nil` to derive them from ``text`` and ``toolCalls``.
    private var decodedBlocks: [ReplyBlock]?

    public init(
        id: String = "",
        model: String = "",
        text: String = "",
        toolCalls: [ToolCall] = [],
        finishReason: FinishReason? = nil,
        usage: Usage? = nil,
        requestID: String? = nil,
        provider: Provider,
        blocks: [ReplyBlock]? = nil,
        responseHead: HTTPResponseHead? = nil
    ) {
        self.id = id
        self.model = model
        self.text = text
        self.toolCalls = toolCalls
        self.finishReason = finishReason
        self.usage = usage
        self.requestID = requestID
        self.provider = provider
        self.decodedBlocks = blocks
        self.responseHead = responseHead
    }

    /// The reply's content in the order the model produced it: thinking, text and tool calls.
    ///
    /// A decoder that knows the order (Anthropic's, and ``ChatStreamAccumulator``) sets it; otherwise
    /// it is derived: the ``text`` (when not empty), then the ``toolCalls``. Setting it does not change
    /// ``text`` or ``toolCalls``.
    public var blocks: [ReplyBlock] {
        get {
            if let decodedBlocks { return decodedBlocks }
            return (text.isEmpty ? [] : [.text(text)]) + toolCalls.map(ReplyBlock.toolCall)
        }
        set { decodedBlocks = newValue }
    }

    /// The reasoning blocks of the reply, in order (empty unless thinking was on).
    public var thinking: [ThinkingBlock] {
        blocks.compactMap { if case .thinking(let block) = $0 { block } else { nil } }
    }

    /// The clear text of the reasoning, joined (redacted blocks have none).
    public var thinkingText: String { thinking.map(\.text).joined() }

    /// The reply as the assistant message to send back: its text, its tool calls, and its thinking
    /// blocks unmodified, so `messages + [reply.asMessage] + toolResults` continues a tool loop.
    public var asMessage: ChatMessage {
        ChatMessage(
            role: .assistant, content: text.isEmpty ? [] : [.text(text)], toolCalls: toolCalls, thinking: thinking)
    }

    /// Equal when every public field is, ``blocks`` compared as read (set or derived).
    public static func == (lhs: ChatResponse, rhs: ChatResponse) -> Bool {
        lhs.id == rhs.id && lhs.model == rhs.model && lhs.text == rhs.text && lhs.toolCalls == rhs.toolCalls
            && lhs.finishReason == rhs.finishReason && lhs.usage == rhs.usage && lhs.requestID == rhs.requestID
            && lhs.provider == rhs.provider && lhs.blocks == rhs.blocks
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(model)
        hasher.combine(text)
        hasher.combine(toolCalls)
        hasher.combine(finishReason)
        hasher.combine(usage)
        hasher.combine(requestID)
        hasher.combine(provider)
        hasher.combine(blocks)
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
    /// Whether these counts are Sluice's estimate rather than the provider's report.
    ///
    /// A call whose provider reported no usage (a server that omits it, a stream cut before its usage
    /// chunk) is not counted as 0 tokens: its terminal event
    /// (``ClientEvent/usage``) carries the client's estimate — the prompt by the client's
    /// ``TokenEstimator``, the output from the text and tool-call arguments received — flagged here,
    /// and ``UsageTracker`` counts such calls in ``UsageSummary/estimatedCalls``. A reply's own
    /// ``ChatResponse/usage`` stays `nil`: it says what the provider said.
    public var isEstimated: Bool

    public init(
        inputTokens: Int = 0,
        outputTokens: Int = 0,
        cachedInputTokens: Int? = nil,
        cacheCreationInputTokens: Int? = nil,
        reasoningTokens: Int? = nil,
        isEstimated: Bool = false
    ) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedInputTokens = cachedInputTokens
        self.cacheCreationInputTokens = cacheCreationInputTokens
        self.reasoningTokens = reasoningTokens
        self.isEstimated = isEstimated
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
    /// Azure OpenAI's deployments (``AzureOpenAIAdapter``): OpenAI's wire format on Azure, named as the
    /// OpenTelemetry GenAI conventions name it (`azure.ai.openai`), in replies, events, spans and
    /// metrics. An OpenAI-compatible server reached through ``OpenAIAdapter`` (Azure's v1 API among
    /// them) is ``openAI``.
    public static let azureOpenAI = Provider("azure.ai.openai")
}
