/// Translates provider-neutral requests into one provider's wire format and its answers back.
///
/// Sluice ships ``OpenAIAdapter`` (chat completions and embeddings, for any compatible server) and
/// ``AnthropicAdapter`` (messages). An adapter is pure: it builds ``ClientRequest``s and decodes bytes,
/// it never sends anything, so it is unit-tested without a server.
///
/// Each adapter lives in a folder of its own under `Providers/`, one file per job: `XAdapter.swift`
/// (the type and its ``provider``), `XAdapter+Request.swift` (encoding), `XAdapter+Reply.swift`
/// (decoding a 2xx reply), `XAdapter+Stream.swift` (the stream decoder), `XAdapter+Error.swift` (a
/// non-2xx answer as a typed error) and `XAdapter+Headers.swift` (auth, and what the response headers
/// say about limits). <doc:AddingAProvider> walks through them.
public protocol ProviderAdapter: Sendable {
    var provider: Provider { get }

    /// The HTTP request for a chat call, with auth and provider headers from `endpoint`.
    func chatRequest(_ request: ChatRequest, stream: Bool, endpoint: ProviderEndpoint) throws -> ClientRequest

    /// Decodes a successful (2xx) non-streaming chat reply.
    func decodeChatResponse(_ body: [UInt8], headers: HTTPHeaders) throws -> ChatResponse

    /// A fresh decoder for one streamed reply.
    func makeStreamDecoder() -> any ChatStreamDecoder

    /// The HTTP request for an embeddings call; throws ``SluiceError/Code/unsupported`` where the
    /// provider has none.
    func embeddingsRequest(_ request: EmbeddingsRequest, endpoint: ProviderEndpoint) throws -> ClientRequest

    /// Decodes a successful embeddings reply.
    func decodeEmbeddingsResponse(_ body: [UInt8], headers: HTTPHeaders) throws -> EmbeddingsResponse

    /// The HTTP request for a Responses API call (`POST …/responses`). The default throws
    /// ``SluiceError/Code/unsupported``: only ``OpenAIAdapter`` implements it.
    func responsesRequest(_ request: ResponsesRequest, stream: Bool, endpoint: ProviderEndpoint) throws -> ClientRequest

    /// Decodes a successful (2xx) non-streaming Responses API reply. The default throws
    /// ``SluiceError/Code/unsupported``.
    func decodeResponsesResponse(_ body: [UInt8], headers: HTTPHeaders) throws -> ResponsesResponse

    /// A fresh decoder for one streamed Responses API reply. The default's decoder throws
    /// ``SluiceError/Code/unsupported`` on its first event.
    func makeResponsesStreamDecoder() -> any ResponsesStreamDecoder

    /// Puts `apiKey` on `request` the way the provider expects (replacing any key already there). The
    /// rate limiter's key pool calls it when it sends a request with another key than the one it was
    /// built with.
    func authorize(_ request: inout ClientRequest, apiKey: String)

    /// The typed error for a non-success status: code from the status and the error body's type and
    /// code, the provider's message, the request id from the headers. Never throws: a body that is not
    /// the provider's error shape still gives an error (with a short excerpt as its message).
    func decodeError(status: Int, headers: HTTPHeaders, body: [UInt8]) -> SluiceError

    /// What a response's headers say about the key's limits (remaining budget, how long to wait), or
    /// `nil` when they say nothing. The rate limiter corrects its buckets and starts cooldowns from it.
    ///
    /// The default reads OpenAI's `x-ratelimit-remaining-*`, Anthropic's
    /// `anthropic-ratelimit-*-remaining`, `retry-after-ms` and `retry-after` (see
    /// ``RateLimitObservation/init(headers:)``); implement it for a provider that names them otherwise.
    func rateLimitObservation(_ headers: HTTPHeaders) -> RateLimitObservation?
}

extension ProviderAdapter {
    /// Reads the headers OpenAI and Anthropic send; see ``RateLimitObservation/init(headers:)``.
    public func rateLimitObservation(_ headers: HTTPHeaders) -> RateLimitObservation? {
        RateLimitObservation(headers: headers)
    }
}

/// Decodes one streamed reply's server-sent events into typed events.
public protocol ChatStreamDecoder {
    /// Decodes one event, calling `emit` for each typed event it holds (zero or more).
    ///
    /// Throws ``SluiceError/Code/streamError`` for an error event the provider sent mid-stream (with
    /// ``SluiceError/providerError`` filled in) and ``SluiceError/Code/decodingFailed`` for a payload
    /// that is not what the provider documents.
    mutating func decode(_ event: ServerSentEvent, emit: (ChatStreamEvent) throws -> Void) throws

    /// Whether the provider has said the reply is complete (`[DONE]`, `message_stop`).
    var isComplete: Bool { get }
}

/// Where and as whom a provider is called.
///
/// - Important: ``apiKey`` is a secret: no description, debug description or mirror (`dump`) of an
///   endpoint, request or error contains it.
public struct ProviderEndpoint: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The base URL: for OpenAI-compatible servers up to and including the version (`…/v1`), for
    /// Anthropic the host (`https://api.anthropic.com`), as the official SDKs take them.
    public var baseURL: String {
        didSet { urls = JoinedURLs(baseURL: baseURL) }
    }
    public var apiKey: String {
        didSet { bearerAuthorization = Self.bearer(apiKey) }
    }
    /// Extra headers sent with every request (organization, project, `anthropic-version`, betas).
    public var headers: HTTPHeaders

    /// `Bearer <apiKey>` (empty without a key), built once rather than on every request. A secret
    /// like ``apiKey``: never in a description or mirror.
    private(set) var bearerAuthorization: String
    /// The URLs of the paths the bundled adapters call, joined once.
    private var urls: JoinedURLs

    public init(baseURL: String, apiKey: String, headers: HTTPHeaders = [:]) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.headers = headers
        bearerAuthorization = Self.bearer(apiKey)
        urls = JoinedURLs(baseURL: baseURL)
    }

    /// `baseURL` without a trailing slash, joined with `path` (which starts with `/`).
    public func url(_ path: String) -> String {
        urls.url(path)
    }

    private static func bearer(_ apiKey: String) -> String {
        apiKey.isEmpty ? "" : "Bearer " + apiKey
    }

    /// The base URL without its trailing slashes and, joined to it once, the paths the bundled
    /// adapters send every call to: those URLs cost no allocation per request.
    private struct JoinedURLs: Sendable {
        static let commonPaths = ["/chat/completions", "/v1/messages", "/embeddings", "/responses"]
        let base: String
        let common: [String]

        init(baseURL: String) {
            var base = baseURL
            while base.hasSuffix("/") { base.removeLast() }
            self.base = base
            common = Self.commonPaths.map { base + $0 }
        }

        func url(_ path: String) -> String {
            if let index = Self.commonPaths.firstIndex(of: path) { return common[index] }
            return base + path
        }
    }

    public var description: String { "ProviderEndpoint(\(SecretRedaction.redactingURL(baseURL)), key: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "baseURL": SecretRedaction.redactingURL(baseURL), "apiKey": SecretRedaction.placeholder,
                "headers": headers,
            ],
            displayStyle: .struct
        )
    }
}
