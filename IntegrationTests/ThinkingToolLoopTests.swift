import Sluice
import SluiceMockServer
import Testing

/// An agent tool loop with extended thinking on, end to end over CurlTransport against the mock
/// server, which signs its thinking and checks it when a turn sends it back.
@Suite("Thinking tool loops against the mock LLM server")
struct ThinkingToolLoopTests {
    static let weatherTool = ToolDefinition(
        name: "get_weather",
        description: "Current weather for a city",
        parameters: ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]
    )

    static func withClient<Result>(_ body: (LLMClient) async throws -> Result) async throws -> Result {
        try await MockLLMServer.withRunning { server in
            var configuration = LLMClient.Configuration.anthropic(apiKey: "KEY-thinking", baseURL: server.baseURL)
            configuration.retryPolicy = .disabled
            return try await withLLMClient(configuration) { client in try await body(client) }
        }
    }

    static func firstRequest() -> ChatRequest {
        var request = ChatRequest(
            model: "claude-test", messages: [.user("What is the weather in Paris?")], tools: [weatherTool],
            maxOutputTokens: 2_048)
        request.thinking = .enabled(budgetTokens: 1_024)
        return request
    }

    /// One turn, plain or streamed.
    static func turn(_ client: LLMClient, _ request: ChatRequest, streamed: Bool) async throws -> ChatResponse {
        if streamed {
            return try await client.streamChat(request) { _ in }
        }
        return try await client.chat(request)
    }

    @Test(
        "messages + [reply.asMessage] + tool results is the whole loop, plain and streamed", arguments: [false, true])
    func loop(streamed: Bool) async throws {
        try await Self.withClient { client in
            var request = Self.firstRequest()
            let first = try await Self.turn(client, request, streamed: streamed)
            let call = try #require(first.toolCalls.first)
            #expect(first.finishReason?.matches(.toolCalls) == true)
            #expect(first.thinking.count == 1)
            #expect(first.thinking.first?.signature?.isEmpty == false)
            #expect(first.thinkingText.hasPrefix("Reasoning:"))
            guard case .thinking? = first.blocks.first else {
                Issue.record("the reply does not start with its thinking: \(first.blocks)")
                return
            }

            request.messages += [first.asMessage, .tool(callID: call.id, "18 C and sunny")]
            let second = try await Self.turn(client, request, streamed: streamed)
            #expect(second.finishReason?.matches(.stop) == true)
            #expect(!second.text.isEmpty)
            #expect(second.thinking.count == 1)
        }
    }

    @Test(
        "a loop that drops the thinking block gets the typed 400 with the server's message", arguments: [false, true])
    func droppedThinking(streamed: Bool) async throws {
        try await Self.withClient { client in
            var request = Self.firstRequest()
            let first = try await Self.turn(client, request, streamed: streamed)
            let call = try #require(first.toolCalls.first)
            var stripped = first.asMessage
            stripped.thinking = []
            request.messages += [stripped, .tool(callID: call.id, "18 C and sunny")]
            let error = await #expect(throws: SluiceError.self) {
                try await Self.turn(client, request, streamed: streamed)
            }
            #expect(error?.code == .badRequest)
            #expect(error?.status == 400)
            #expect(error?.providerError?.type == "invalid_request_error")
            #expect(
                error?.providerError?.message?.contains(
                    "Expected `thinking` or `redacted_thinking`, but found `tool_use`") == true)
        }
    }

    @Test(
        "a redacted thinking block goes back whole and the loop succeeds, plain and streamed", arguments: [false, true])
    func redactedLoop(streamed: Bool) async throws {
        try await Self.withClient { client in
            var request = Self.firstRequest()
            request.messages = [
                .user("What is the weather in Paris? ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING")
            ]
            let first = try await Self.turn(client, request, streamed: streamed)
            let call = try #require(first.toolCalls.first)
            let thinking = try #require(first.thinking.first)
            #expect(thinking.isRedacted)
            #expect(thinking.redactedData?.isEmpty == false)
            request.messages += [first.asMessage, .tool(callID: call.id, "18 C and sunny")]
            let second = try await Self.turn(client, request, streamed: streamed)
            #expect(second.finishReason?.matches(.stop) == true)
        }
    }

    @Test("a loop that alters the thinking text gets the 400 for an invalid signature")
    func alteredThinking() async throws {
        try await Self.withClient { client in
            var request = Self.firstRequest()
            let first = try await client.chat(request)
            let call = try #require(first.toolCalls.first)
            var altered = first.asMessage
            altered.thinking[0].text += " (edited)"
            request.messages += [altered, .tool(callID: call.id, "18 C and sunny")]
            let error = await #expect(throws: SluiceError.self) { try await client.chat(request) }
            #expect(error?.code == .badRequest)
            #expect(error?.providerError?.message == "messages.1.content.0: Invalid `signature` in `thinking` block")
        }
    }
}
