/// A provider-neutral chat request. Each provider adapter writes it in its own wire format.
///
/// ```swift
/// var request = ChatRequest(model: "gpt-4o-mini", messages: [.user("Hello")])
/// request.maxOutputTokens = 256
/// request.extraFields["logit_bias"] = ["50256": -100]   // sent as is
/// ```
public struct ChatRequest: Sendable, Hashable {
    public var model: String
    public var messages: [ChatMessage]
    public var tools: [ToolDefinition]
    public var toolChoice: ToolChoice?
    public var temperature: Double?
    public var topP: Double?
    /// The most tokens the reply may have. Anthropic requires one: its adapter sends
    /// ``AnthropicAdapter/defaultMaxTokens`` when this is `nil`.
    public var maxOutputTokens: Int?
    public var stopSequences: [String]
    public var seed: Int?
    public var responseFormat: ResponseFormat?
    /// An end-user id for the provider's abuse monitoring (OpenAI `user`, Anthropic `metadata.user_id`).
    public var user: String?
    /// OpenAI's `metadata` (string values); Anthropic takes only the user id from it.
    public var metadata: [String: String]
    /// Provider-specific fields merged into the request body last, overriding what the adapter wrote.
    public var extraFields: JSONObject
    /// Extended thinking (Anthropic `thinking`); `nil` sends nothing. See ``ThinkingConfiguration``.
    public var thinking: ThinkingConfiguration?
    /// How hard an OpenAI reasoning model thinks (`reasoning_effort`); `nil` sends nothing.
    public var reasoningEffort: ReasoningEffort?

    public init(
        model: String,
        messages: [ChatMessage],
        tools: [ToolDefinition] = [],
        toolChoice: ToolChoice? = nil,
        temperature: Double? = nil,
        topP: Double? = nil,
        maxOutputTokens: Int? = nil,
        stopSequences: [String] = [],
        seed: Int? = nil,
        responseFormat: ResponseFormat? = nil,
        user: String? = nil,
        metadata: [String: String] = [:],
        extraFields: JSONObject = [:],
        thinking: ThinkingConfiguration? = nil,
        reasoningEffort: ReasoningEffort? = nil
    ) {
        self.model = model
        self.messages = messages
        self.tools = tools
        self.toolChoice = toolChoice
        self.temperature = temperature
        self.topP = topP
        self.maxOutputTokens = maxOutputTokens
        self.stopSequences = stopSequences
        self.seed = seed
        self.responseFormat = responseFormat
        self.user = user
        self.metadata = metadata
        self.extraFields = extraFields
        self.thinking = thinking
        self.reasoningEffort = reasoningEffort
    }
}
