/// The Anthropic Messages API (`POST /v1/messages`) wire format: requests, replies, streams and errors.
///
/// Use it for `https://api.anthropic.com` and for servers that speak the same API (the Sluice mock
/// server, gateways). The endpoint's base URL is the host, as the official SDKs take it:
///
/// ```swift
/// let adapter = AnthropicAdapter(betas: ["prompt-caching-2024-07-31"])
/// let endpoint = ProviderEndpoint(baseURL: "https://api.anthropic.com", apiKey: key)
/// var request = ChatRequest(model: "claude-sonnet-4-5", messages: [.system("Be terse."), .user("Hi")])
/// request.maxOutputTokens = 512
/// let httpRequest = try adapter.chatRequest(request, stream: false, endpoint: endpoint)
/// ```
///
/// How the provider-neutral model maps onto Anthropic's:
/// - **System**: every `.system` (and OpenAI-style `developer`) message is lifted out of the list, in
///   order, and their text joined with a blank line (`"\n\n"`) becomes the top-level `system` string.
///   Images in system messages are dropped (Anthropic's `system` takes text only).
/// - **Alternation**: Anthropic requires user and assistant turns to alternate, so consecutive
///   messages of the same role are merged into one message whose content blocks are concatenated.
///   `.tool` messages become `tool_result` blocks of a user message, so consecutive tool results (and a
///   user message right after them) end up in one user message; in a merged user message the
///   `tool_result` blocks come first, as Anthropic requires.
/// - **Tool calls**: an assistant's ``ToolCall`` becomes a `tool_use` block whose `input` is the
///   parsed ``ToolCall/arguments`` (`{}` when empty). Arguments that are not a JSON object fail with
///   ``SluiceError/Code/invalidRequest`` before anything is sent, rather than sending a tool call the
///   model never made.
/// - **Thinking**: ``ChatRequest/thinking`` is sent as `thinking`; replies' `thinking` and
///   `redacted_thinking` blocks come back as ``ChatResponse/blocks`` (and stream events), and an
///   assistant message's ``ChatMessage/thinking`` blocks are sent first in its turn, unmodified, as a
///   tool loop with thinking on requires (see <doc:ThinkingAndToolLoops>).
/// - **max_tokens** is required by Anthropic: ``ChatRequest/maxOutputTokens``, or ``defaultMaxTokens``
///   plus the thinking budget when thinking is on.
/// - **Not sent**: ``ChatRequest/seed`` (no Anthropic equivalent), ``ChatRequest/responseFormat``
///   (Anthropic has no JSON mode; ask for JSON in the prompt or force a tool instead),
///   ``ChatRequest/metadata`` other than ``ChatRequest/user`` (sent as `metadata.user_id`),
///   ``ChatRequest/reasoningEffort`` (an OpenAI setting),
///   ``ChatMessage/name`` and ``ToolDefinition/strict``. ``ChatRequest/extraFields`` are merged into
///   the top level of the body last and override what the adapter wrote (`top_k`, …).
/// - **Usage**: Anthropic's `input_tokens` excludes prompt-cache reads and writes, so
///   ``Usage/inputTokens`` is `input_tokens + cache_read_input_tokens + cache_creation_input_tokens`
///   (every prompt token, as OpenAI counts them); the cache counts are also kept apart in
///   ``Usage/cachedInputTokens`` and ``Usage/cacheCreationInputTokens``.
/// - **Embeddings**: Anthropic has none; those calls throw ``SluiceError/Code/unsupported``.
///
/// The adapter is a value with no state; the stream decoders it makes hold the state of one stream.
public struct AnthropicAdapter: ProviderAdapter {
    /// The `max_tokens` sent when ``ChatRequest/maxOutputTokens`` is `nil`: 4096.
    ///
    /// Anthropic requires `max_tokens` on every request (OpenAI does not), so a request written for
    /// any provider still needs a value here. Change it per adapter with
    /// ``init(version:betas:defaultMaxTokens:)``.
    public static let defaultMaxTokens = 4096

    /// The `anthropic-version` header sent with every request. Default `2023-06-01`.
    public var version: String
    /// Beta features, sent comma-joined in `anthropic-beta`; empty sends no such header.
    public var betas: [String]
    /// The `max_tokens` for requests that set no ``ChatRequest/maxOutputTokens``.
    public var defaultMaxTokens: Int

    /// - Parameters:
    ///   - version: the `anthropic-version` header. Default `2023-06-01`, the current API version.
    ///   - betas: `anthropic-beta` feature names, such as `prompt-caching-2024-07-31`. Default none.
    ///   - defaultMaxTokens: `max_tokens` when a request sets none. Default ``defaultMaxTokens`` (4096).
    public init(
        version: String = "2023-06-01",
        betas: [String] = [],
        defaultMaxTokens: Int = AnthropicAdapter.defaultMaxTokens
    ) {
        self.version = version
        self.betas = betas
        self.defaultMaxTokens = defaultMaxTokens
    }

    public var provider: Provider { .anthropic }

    static var embeddingsUnsupported: SluiceError {
        SluiceError(.unsupported, "Anthropic has no embeddings API; use an OpenAI-compatible provider for embeddings")
    }

    /// The header that carries Anthropic's request id.
    static let requestIDHeader = "request-id"
}
