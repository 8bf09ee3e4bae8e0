/// The OpenAI chat-completions and embeddings wire format, for OpenAI and every compatible server
/// (Azure OpenAI's v1 API, vLLM, Ollama, llama.cpp, LM Studio, Groq, Together, OpenRouter, …).
///
/// Use it for any server that speaks `POST …/v1/chat/completions`; the endpoint's base URL names the
/// server, up to and including the version:
///
/// ```swift
/// let adapter = OpenAIAdapter()
/// let endpoint = ProviderEndpoint(baseURL: "https://api.openai.com/v1", apiKey: key)
/// let request = try adapter.chatRequest(chat, stream: true, endpoint: endpoint)
/// ```
///
/// For a compatible server that predates `max_completion_tokens`, send the older field:
///
/// ```swift
/// let local = OpenAIAdapter(includeStreamUsage: false, maxTokensField: .maxTokens)
/// ```
///
/// Wire decisions:
/// - ``ChatRequest/maxOutputTokens`` goes out as `max_completion_tokens` (OpenAI deprecated
///   `max_tokens`, and its reasoning models reject it); see ``MaxTokensField``.
/// - Message content is a plain string when it is exactly one text part, else an array of parts;
///   an assistant message with tool calls and no text sends `content: null`.
/// - Base64 images become `data:<media type>;base64,<data>` URLs.
/// - ``ChatRequest/reasoningEffort`` goes out as `reasoning_effort`; ``ChatRequest/thinking`` and a
///   message's ``ChatMessage/thinking`` blocks (Anthropic's) are not sent.
/// - A streamed request asks for `stream_options.include_usage` (unless
///   ``includeStreamUsage`` is off), so the stream ends with a usage chunk the rate limiter
///   reconciles against.
/// - A refusal (`message.refusal`, `delta.refusal`) is the reply's text, and the finish reason is
///   normalised to ``FinishReason/refusal`` (its raw value stays the provider's, usually `stop`).
/// - Only choice 0 is read; ask for `n` > 1 through ``ChatRequest/extraFields`` and the other
///   choices are ignored.
/// - Headers: `authorization: Bearer <key>`, `content-type`, `accept` (`text/event-stream` when
///   streaming), `openai-organization` and `openai-project` when set; then
///   ``ProviderEndpoint/headers``, each replacing an adapter header of the same name. An empty API
///   key sends no `authorization` header (local servers that need none).
/// - ``ChatRequest/extraFields`` are merged into the body last and win over what the adapter wrote.
/// - ``ChatMessage/isError`` has no OpenAI field and is not sent.
///
/// - Important: The adapter is a value with no mutable state: share one between tasks freely. The
///   API key appears only in the `authorization` header it builds, never in an error it returns
///   (provider messages that echo a key, such as `Incorrect API key provided: sk-abc***xyz`, are
///   redacted to `sk-***`).
public struct OpenAIAdapter: ProviderAdapter {
    /// The `openai-organization` header, for keys that belong to several organizations; `nil` (the
    /// default) sends none.
    public var organization: String?
    /// The `openai-project` header, for legacy user keys used with a project; `nil` (the default)
    /// sends none.
    public var project: String?
    /// Whether a streamed request asks for a final usage chunk (`stream_options.include_usage`).
    /// Default `true`; turn it off for a compatible server that rejects `stream_options`.
    public var includeStreamUsage: Bool
    /// The body field that carries ``ChatRequest/maxOutputTokens``.
    /// Default ``MaxTokensField/maxCompletionTokens``.
    public var maxTokensField: MaxTokensField

    public var provider: Provider { .openAI }

    /// An adapter that sends the given organization and project headers.
    public init(
        organization: String? = nil,
        project: String? = nil,
        includeStreamUsage: Bool = true,
        maxTokensField: MaxTokensField = .maxCompletionTokens
    ) {
        self.organization = organization
        self.project = project
        self.includeStreamUsage = includeStreamUsage
        self.maxTokensField = maxTokensField
    }
}
