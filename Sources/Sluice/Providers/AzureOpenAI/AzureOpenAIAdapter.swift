/// Azure OpenAI's deployment API: OpenAI's chat-completions and embeddings wire format, sent to a
/// deployment's URL with an `api-key` header.
///
/// The base URL is the resource's endpoint, and a request's model names the deployment:
///
/// ```swift
/// let configuration = LLMClient.Configuration(
///     adapter: AzureOpenAIAdapter(),
///     baseURL: "https://my-resource.openai.azure.com",
///     apiKey: "my-azure-key"
/// )
/// ```
///
/// A chat call for model `gpt-4o-prod` then goes to
/// `POST {baseURL}/openai/deployments/gpt-4o-prod/chat/completions?api-version={apiVersion}`.
///
/// Wire decisions:
/// - Bodies, replies, streams and error bodies are OpenAI's, written and read by ``openAI``; see
///   ``OpenAIAdapter`` for its choices.
/// - The key goes in `api-key`, never in `authorization`. An `authorization` header in
///   ``ProviderEndpoint/headers`` (a Microsoft Entra ID token) is sent as given.
/// - A deployment name holds only letters, digits, `-`, `_` and `.`; any other model name is
///   refused with ``SluiceError/Code/invalidRequest`` rather than sent to another URL.
/// - The provider is ``Provider/openAI``: Azure counts tokens and reports limits as OpenAI does.
///
/// For Azure's newer `/openai/v1` API, which takes OpenAI's paths, use ``OpenAIAdapter`` with the
/// `api-key` header in ``ProviderEndpoint/headers``.
public struct AzureOpenAIAdapter: ProviderAdapter {
    /// The `api-version` query parameter every request carries.
    public var apiVersion: String
    /// Writes the bodies and reads the replies (its authorization and paths are not used).
    public var openAI: OpenAIAdapter

    /// The `api-version` used when none is given: the latest generally available one.
    public static let defaultAPIVersion = "2024-10-21"

    public init(
        apiVersion: String = AzureOpenAIAdapter.defaultAPIVersion,
        includeStreamUsage: Bool = true,
        maxTokensField: OpenAIAdapter.MaxTokensField = .maxCompletionTokens
    ) {
        self.apiVersion = apiVersion
        openAI = OpenAIAdapter(includeStreamUsage: includeStreamUsage, maxTokensField: maxTokensField)
    }

    public var provider: Provider { .azureOpenAI }
}
