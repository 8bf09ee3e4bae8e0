import Sluice
import SluiceMockServer
import Testing

/// LLMClient end to end over CurlTransport against the mock server, for both providers.
@Suite("LLMClient against the mock LLM server")
struct ProviderExchangeTests {
    static let key = "KEY-MARKER-provider"

    static func withClient<Result>(
        _ provider: Provider,
        server configuration: MockServerConfiguration = MockServerConfiguration(),
        retry: RetryPolicy = .default,
        _ body: (LLMClient, MockLLMServer) async throws -> Result
    ) async throws -> Result {
        try await MockLLMServer.withRunning(configuration) { server in
            var clientConfiguration: LLMClient.Configuration =
                provider == .openAI
                ? .openAI(apiKey: key, baseURL: server.baseURL + "/v1")
                : .anthropic(apiKey: key, baseURL: server.baseURL)
            clientConfiguration.retryPolicy = retry
            return try await withLLMClient(clientConfiguration) { client in try await body(client, server) }
        }
    }

    static let model = "gpt-4o-mini"
    static let weatherTool = ToolDefinition(
        name: "get_weather",
        description: "Current weather for a city",
        parameters: ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]
    )

    static func request(_ prompt: String, tools: [ToolDefinition] = []) -> ChatRequest {
        ChatRequest(model: model, messages: [.system("Be brief."), .user(prompt)], tools: tools, maxOutputTokens: 64)
    }

    @Test("a plain chat returns the reply, usage, finish reason and request id", arguments: [Provider.openAI, .anthropic])
    func plainChat(provider: Provider) async throws {
        try await Self.withClient(provider) { client, _ in
            let reply = try await client.chat(Self.request("Tell me about rivers."))
            #expect(reply.text.split(separator: " ").count == 20)
            #expect(reply.finishReason?.matches(.stop) == true)
            #expect(reply.usage?.outputTokens == 20)
            #expect((reply.usage?.inputTokens ?? 0) > 0)
            #expect(reply.requestID != nil)
            #expect(reply.provider == provider)
        }
    }

    @Test("a stream's text deltas add up to the reply, with usage and a finish reason", arguments: [Provider.openAI, .anthropic])
    func streamedChat(provider: Provider) async throws {
        try await Self.withClient(provider) { client, _ in
            var deltas: [String] = []
            let reply = try await client.streamChat(Self.request("Tell me about rivers.")) { event in
                if case .textDelta(let text) = event { deltas.append(text) }
            }
            #expect(deltas.count >= 20)
            #expect(deltas.joined() == reply.text)
            #expect(reply.text.split(separator: " ").count == 20)
            #expect(reply.usage?.outputTokens == 20)
            #expect(reply.finishReason?.matches(.stop) == true)
        }
    }

    @Test("a tool call arrives whole in a plain reply and reassembles from streamed fragments", arguments: [Provider.openAI, .anthropic])
    func toolCalls(provider: Provider) async throws {
        try await Self.withClient(provider) { client, _ in
            let request = Self.request("What is the weather in Oslo?", tools: [Self.weatherTool])
            let plain = try await client.chat(request)
            let call = try #require(plain.toolCalls.first)
            #expect(call.name == "get_weather")
            #expect(plain.finishReason?.matches(.toolCalls) == true)
            let arguments = try call.parsedArguments()

            var fragments = 0
            let streamed = try await client.streamChat(request) { event in
                if case .toolCallArgumentsDelta = event { fragments += 1 }
            }
            let streamedCall = try #require(streamed.toolCalls.first)
            #expect(streamedCall.name == "get_weather")
            #expect(!streamedCall.id.isEmpty)
            #expect(fragments > 1)
            #expect(try streamedCall.parsedArguments() == arguments)
            #expect(streamed.finishReason?.matches(.toolCalls) == true)
        }
    }

    @Test("with retries off, a 429 becomes rateLimited with the provider's error details", arguments: [Provider.openAI, .anthropic])
    func rateLimited(provider: Provider) async throws {
        try await Self.withClient(provider, retry: .disabled) { client, server in
            server.enqueue([.fault(.rateLimited())])
            let error = await #expect(throws: SluiceError.self) { try await client.chat(Self.request("hi")) }
            #expect(error?.code == .rateLimited)
            #expect(error?.status == 429)
            #expect(error?.providerError?.message != nil)
            #expect(error.map { !String(reflecting: $0).contains(Self.key) } == true)
        }
    }

    @Test("an unknown key becomes authenticationFailed, and the error never shows the key", arguments: [Provider.openAI, .anthropic])
    func unknownKey(provider: Provider) async throws {
        var configuration = MockServerConfiguration()
        configuration.acceptsUnknownKeys = false
        try await Self.withClient(provider, server: configuration) { client, _ in
            let error = await #expect(throws: SluiceError.self) { try await client.chat(Self.request("hi")) }
            #expect(error?.code == .authenticationFailed)
            #expect(error.map { !String(reflecting: $0).contains(Self.key) } == true)
        }
    }

    @Test("an error event mid-stream throws streamError carrying the partial reply", arguments: [Provider.openAI, .anthropic])
    func errorMidStream(provider: Provider) async throws {
        try await Self.withClient(provider) { client, server in
            server.enqueue([.fault(.errorEvent(afterTokens: 4))])
            var deltas = 0
            let error = await #expect(throws: SluiceError.self) {
                _ = try await client.streamChat(Self.request("hi")) { event in
                    if case .textDelta = event { deltas += 1 }
                }
            }
            #expect(error?.code == .streamError)
            #expect(deltas == 4)
            #expect(error?.partialResponse?.text.split(separator: " ").count == 4)
        }
    }

    @Test("a connection dropped mid-stream fails with connectionClosed and the partial reply", arguments: [Provider.openAI, .anthropic])
    func droppedMidStream(provider: Provider) async throws {
        try await Self.withClient(provider) { client, server in
            server.enqueue([.fault(.dropConnection(afterTokens: 3))])
            let error = await #expect(throws: SluiceError.self) {
                _ = try await client.streamChat(Self.request("hi"))
            }
            #expect(error?.code == .connectionClosed)
            #expect(error?.partialResponse?.text.isEmpty == false)
        }
    }

    @Test("malformed JSON in a reply is a typed decoding error", arguments: [Provider.openAI, .anthropic])
    func malformedJSON(provider: Provider) async throws {
        try await Self.withClient(provider) { client, server in
            server.enqueue([.fault(.malformedJSON)])
            let error = await #expect(throws: SluiceError.self) { try await client.chat(Self.request("hi")) }
            #expect(error?.code == .decodingFailed)
        }
    }

    @Test("a 429 with retry-after-ms is retried after the server's delay and the call succeeds", arguments: [Provider.openAI, .anthropic])
    func retriedAfter429(provider: Provider) async throws {
        try await Self.withClient(provider) { client, server in
            server.enqueue([.fault(.rateLimited(retryAfter: .milliseconds(50)))])
            let reply = try await client.chat(Self.request("hi"))
            #expect(reply.text.split(separator: " ").count == 20)
            #expect(server.stats.requests == 2)
        }
    }

    @Test("with retries off, Anthropic's 529 becomes overloaded")
    func anthropicOverloaded() async throws {
        try await Self.withClient(.anthropic, retry: .disabled) { client, server in
            server.enqueue([.fault(.overloaded())])
            let error = await #expect(throws: SluiceError.self) { try await client.chat(Self.request("hi")) }
            #expect(error?.code == .overloaded)
            #expect(error?.providerError?.type == "overloaded_error")
        }
    }

    @Test("embeddings come back one vector per input, in order; Anthropic has none")
    func embeddings() async throws {
        try await Self.withClient(.openAI) { client, _ in
            let reply = try await client.embed(EmbeddingsRequest(model: "text-embedding-3-small", inputs: ["a river", "a weir", "a sluice"]))
            #expect(reply.embeddings.count == 3)
            #expect(reply.embeddings.allSatisfy { $0.count == 8 })
            #expect(reply.embeddings[0] != reply.embeddings[1])
            #expect(reply.usage.inputTokens > 0)
        }
        try await Self.withClient(.anthropic) { client, _ in
            let error = await #expect(throws: SluiceError.self) {
                try await client.embed(EmbeddingsRequest(model: "m", inputs: ["x"]))
            }
            #expect(error?.code == .unsupported)
        }
    }
}
