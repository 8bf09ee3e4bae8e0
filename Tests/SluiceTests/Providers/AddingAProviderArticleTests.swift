import Foundation
import Sluice
import Testing

// The two code blocks of Sources/Sluice/Sluice.docc/AddingAProvider.md, as they stand there (less
// their `import Sluice`): this file compiling is what keeps the article's code compiling. Change
// them together.

/// An OpenAI-compatible server that takes its key in an `api-key` header.
struct KeyHeaderAdapter: ProviderAdapter {
    var openAI = OpenAIAdapter()

    var provider: Provider { .openAI }

    func chatRequest(_ request: ChatRequest, stream: Bool, endpoint: ProviderEndpoint) throws -> ClientRequest {
        var request = try openAI.chatRequest(request, stream: stream, endpoint: endpoint)
        authorize(&request, apiKey: endpoint.apiKey)
        return request
    }

    func embeddingsRequest(_ request: EmbeddingsRequest, endpoint: ProviderEndpoint) throws -> ClientRequest {
        var request = try openAI.embeddingsRequest(request, endpoint: endpoint)
        authorize(&request, apiKey: endpoint.apiKey)
        return request
    }

    func decodeChatResponse(_ body: [UInt8], headers: HTTPHeaders) throws -> ChatResponse {
        try openAI.decodeChatResponse(body, headers: headers)
    }

    func decodeEmbeddingsResponse(_ body: [UInt8], headers: HTTPHeaders) throws -> EmbeddingsResponse {
        try openAI.decodeEmbeddingsResponse(body, headers: headers)
    }

    func makeStreamDecoder() -> any ChatStreamDecoder {
        openAI.makeStreamDecoder()
    }

    func decodeError(status: Int, headers: HTTPHeaders, body: [UInt8]) -> SluiceError {
        openAI.decodeError(status: status, headers: headers, body: body)
    }

    func authorize(_ request: inout ClientRequest, apiKey: String) {
        request.headers.remove(name: "authorization")
        request.headers.replaceOrAdd(name: "api-key", value: apiKey)
    }
}

func keyHeaderConfiguration(apiKey: String) -> LLMClient.Configuration {
    LLMClient.Configuration(
        adapter: KeyHeaderAdapter(),
        baseURL: "https://llm.example.com/v1",
        apiKey: apiKey
    )
}

@Suite("The Adding a provider article's adapter")
struct AddingAProviderArticleTests {
    let endpoint = ProviderEndpoint(baseURL: "https://llm.example.com/v1", apiKey: "sk-article")

    @Test("puts the key in an api-key header, never a bearer token, on every operation")
    func keyHeader() throws {
        let adapter = KeyHeaderAdapter()
        let chat = try adapter.chatRequest(
            ChatRequest(model: "m", messages: [.user("Hi")]), stream: false, endpoint: endpoint)
        let embeddings = try adapter.embeddingsRequest(EmbeddingsRequest(model: "e", inputs: ["x"]), endpoint: endpoint)
        for request in [chat, embeddings] {
            #expect(request.headers["api-key"] == "sk-article")
            #expect(request.headers["authorization"] == nil)
        }
        #expect(chat.url == "https://llm.example.com/v1/chat/completions")
    }

    @Test("re-authorizing replaces the key, as the rate limiter's key pool does")
    func reauthorize() throws {
        let adapter = KeyHeaderAdapter()
        var request = try adapter.chatRequest(
            ChatRequest(model: "m", messages: [.user("Hi")]), stream: true, endpoint: endpoint)
        adapter.authorize(&request, apiKey: "sk-other")
        #expect(request.headers.values(for: "api-key") == ["sk-other"])
    }

    @Test("reads rate-limit headers with the protocol's default")
    func rateLimitHeaders() {
        let observation = KeyHeaderAdapter().rateLimitObservation(["x-ratelimit-remaining-requests": "7"])
        #expect(observation?.remaining.requests == 7)
    }

    @Test("a client configuration takes it like a built-in adapter")
    func configuration() {
        let configuration = keyHeaderConfiguration(apiKey: "sk-article")
        #expect(configuration.adapter.provider == .openAI)
        #expect(configuration.baseURL == "https://llm.example.com/v1")
    }

    @Test("the article's code blocks are the code in this file, word for word")
    func articleInSync() throws {
        try ArticleCode.expectInSync(article: "AddingAProvider.md", count: 2)
    }
}
