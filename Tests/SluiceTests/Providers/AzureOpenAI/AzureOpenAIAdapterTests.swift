import Sluice
import SluiceTesting
import Testing

@Suite("AzureOpenAIAdapter")
struct AzureOpenAIAdapterTests {
    let endpoint = ProviderEndpoint(baseURL: "https://my-resource.openai.azure.com/", apiKey: "azure-key")
    let chat = ChatRequest(model: "gpt-4o-prod", messages: [.user("Hi")])

    @Test("a chat request goes to the deployment's URL with the api-version, and the key in api-key only")
    func chatRequest() throws {
        let adapter = AzureOpenAIAdapter(apiVersion: "2024-10-21")
        for stream in [false, true] {
            let request = try adapter.chatRequest(chat, stream: stream, endpoint: endpoint)
            #expect(
                request.url
                    == "https://my-resource.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21"
            )
            #expect(request.headers["api-key"] == "azure-key")
            #expect(request.headers["authorization"] == nil)
            #expect(request.headers["accept"] == (stream ? "text/event-stream" : "application/json"))
            let openAI = try OpenAIAdapter().chatRequest(chat, stream: stream, endpoint: endpoint)
            #expect(request.body == openAI.body)
        }
    }

    @Test("an embeddings request goes to the deployment's embeddings URL")
    func embeddingsRequest() throws {
        let request = try AzureOpenAIAdapter(apiVersion: "2024-06-01")
            .embeddingsRequest(EmbeddingsRequest(model: "embed-prod", inputs: ["x"]), endpoint: endpoint)
        #expect(
            request.url
                == "https://my-resource.openai.azure.com/openai/deployments/embed-prod/embeddings?api-version=2024-06-01"
        )
        #expect(request.headers["api-key"] == "azure-key")
    }

    @Test(
        "a model that is not a deployment name is refused, not sent to another URL",
        arguments: ["", "a/b", "x?y=1", "é"])
    func badDeployment(_ model: String) {
        let request = ChatRequest(model: model, messages: [.user("Hi")])
        let error = #expect(throws: SluiceError.self) {
            try AzureOpenAIAdapter().chatRequest(request, stream: false, endpoint: endpoint)
        }
        #expect(error?.code == .invalidRequest)
    }

    @Test("an authorization header on the endpoint (an Entra ID token) is sent as given")
    func entraToken() throws {
        let endpoint = ProviderEndpoint(
            baseURL: "https://my-resource.openai.azure.com", apiKey: "", headers: ["authorization": "Bearer entra"])
        let request = try AzureOpenAIAdapter().chatRequest(chat, stream: false, endpoint: endpoint)
        #expect(request.headers["authorization"] == "Bearer entra")
        #expect(request.headers["api-key"] == nil)
    }

    @Test("re-authorizing, as the key pool does, replaces the api-key")
    func reauthorize() throws {
        let adapter = AzureOpenAIAdapter()
        var request = try adapter.chatRequest(chat, stream: false, endpoint: endpoint)
        adapter.authorize(&request, apiKey: "other-key")
        #expect(request.headers.values(for: "api-key") == ["other-key"])
        #expect(request.headers["authorization"] == nil)
    }

    @Test("a client chats through it: OpenAI's reply, the deployment's URL")
    func clientChat() async throws {
        let reply =
            #"{"id":"c1","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#
        let transport = InMemoryTransport { _ in
            ClientResponse(
                status: 200, headers: ["x-request-id": "req_az"], body: ResponseBody(bytes: Array(reply.utf8)))
        }
        var configuration = LLMClient.Configuration(
            adapter: AzureOpenAIAdapter(), baseURL: "https://my-resource.openai.azure.com", apiKey: "azure-key")
        configuration.retryPolicy = .disabled
        let client = LLMClient(configuration, transport: transport)
        let response = try await client.chat(chat)
        #expect(response.text == "Hello")
        #expect(response.usage?.totalTokens == 4)
        #expect(response.requestID == "req_az")
        // Named as the OpenTelemetry GenAI conventions name Azure OpenAI, not as plain OpenAI.
        #expect(response.provider == .azureOpenAI)
        #expect(client.provider.name == "azure.ai.openai")
        #expect(
            transport.requests.first?.url.hasPrefix(
                "https://my-resource.openai.azure.com/openai/deployments/gpt-4o-prod/") == true)
        await client.shutdown()
    }
}
