import Sluice
import SluiceMockServer
import SluiceTesting
import Testing

/// The Responses API end to end: LLMClient over CurlTransport against the mock server's
/// `POST /v1/responses`, plain and streamed.
@Suite("Responses API against the mock LLM server")
struct ResponsesAPITests {
    static let key = "KEY-responses"
    static let weatherTool = ToolDefinition(
        name: "get_weather",
        description: "Current weather for a city",
        parameters: ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]
    )

    static func withClient<Result>(
        _ mock: MockServerConfiguration = MockServerConfiguration(),
        rateLimits: RateLimits? = nil,
        _ body: (LLMClient, MockLLMServer) async throws -> Result
    ) async throws -> Result {
        try await MockLLMServer.withRunning(mock) { server in
            var configuration = LLMClient.Configuration.openAI(apiKey: Self.key, baseURL: server.baseURL + "/v1")
            configuration.retryPolicy = .disabled
            if let rateLimits {
                configuration.rateLimits = RateLimitMiddleware.Configuration(
                    keys: [APIKey(Self.key, limits: rateLimits)], safetyMargin: .none)
            }
            return try await withLLMClient(configuration) { client in try await body(client, server) }
        }
    }

    /// One turn, plain or streamed.
    static func turn(_ client: LLMClient, _ request: ResponsesRequest, streamed: Bool) async throws -> ResponsesResponse
    {
        if streamed {
            return try await client.streamResponse(request) { stream in try await stream.finalResponse() }
        }
        return try await client.createResponse(request)
    }

    @Test(
        "a plain and a streamed reply have text, a completed status, usage and a request id", arguments: [false, true])
    func text(streamed: Bool) async throws {
        try await Self.withClient { client, server in
            var request = ResponsesRequest(model: "gpt-test", input: "Say hello to the river.")
            request.instructions = "Be brief."
            let reply = try await Self.turn(client, request, streamed: streamed)
            #expect(reply.status == .completed)
            #expect(reply.id.hasPrefix("resp_"))
            #expect(reply.outputText.split(separator: " ", omittingEmptySubsequences: false).count == 20)
            #expect(reply.usage?.outputTokens == 20)
            // 3 + (textTokens("Be brief.") + 4) + (textTokens("Say hello to the river.") + 4)
            #expect(reply.usage?.inputTokens == 3 + 7 + 10)
            #expect(reply.requestID != nil)
            #expect(server.stats.requests == 1)
            if streamed {
                // The deltas join into the final text exactly.
                var text = ""
                let again = try await client.streamResponse(request) { event in
                    if case .outputTextDelta(_, _, let delta) = event { text += delta }
                }
                #expect(text == again.outputText)
            }
        }
    }

    @Test(
        "a two-turn function loop: the call, then its output sent back, answered with text", arguments: [false, true])
    func functionLoop(streamed: Bool) async throws {
        try await Self.withClient { client, _ in
            var request = ResponsesRequest(
                model: "gpt-test", input: "What is the weather in Paris?", tools: [Self.weatherTool])
            let first = try await Self.turn(client, request, streamed: streamed)
            let call = try #require(first.functionCalls.first)
            #expect(call.name == "get_weather")
            #expect(call.callID.hasPrefix("call_"))
            #expect(first.status == .completed)
            #expect(try call.parsedArguments()["city"]?.stringValue?.isEmpty == false)
            #expect(first.outputText.isEmpty)

            request.input = .items(
                request.input.items + first.nextInput([.init(callID: call.callID, output: "18 C and sunny")]))
            let second = try await Self.turn(client, request, streamed: streamed)
            #expect(second.functionCalls.isEmpty)
            #expect(!second.outputText.isEmpty)
            #expect(second.status == .completed)

            // The same loop with the conversation kept on the server.
            let chained = try await Self.turn(
                client,
                ResponsesRequest(
                    model: "gpt-test", input: [.functionCallOutput(callID: call.callID, output: "18 C")],
                    tools: [Self.weatherTool], previousResponseID: first.id),
                streamed: streamed)
            #expect(!chained.outputText.isEmpty)
        }
    }

    @Test("max_output_tokens cuts the reply: status incomplete with its reason")
    func incomplete() async throws {
        try await Self.withClient { client, _ in
            for streamed in [false, true] {
                let reply = try await Self.turn(
                    client, ResponsesRequest(model: "gpt-test", input: "Tell a story.", maxOutputTokens: 16),
                    streamed: streamed)
                #expect(reply.status == .incomplete)
                #expect(reply.incompleteReason == "max_output_tokens")
                #expect(reply.usage?.outputTokens == 16)
            }
        }
    }

    @Test("the rate limiter reserves the input estimate plus max_output_tokens")
    func reservationCoversMaxOutput() async throws {
        try await Self.withClient(rateLimits: RateLimits(tokensPerMinute: 1_000)) { client, server in
            let tooLarge = ResponsesRequest(model: "gpt-test", input: "Hi", maxOutputTokens: 995)
            let error = try await #require(throws: SluiceError.self) { _ = try await client.createResponse(tooLarge) }
            #expect(error.code == .requestTooLarge)
            #expect(server.stats.requests == 0)
            let fits = ResponsesRequest(model: "gpt-test", input: "Hi", maxOutputTokens: 900)
            let reply = try await client.createResponse(fits)
            #expect(reply.status == .completed)
            #expect(server.stats.requests == 1)
        }
    }

    @Test("a 503 is retried like a chat call, and usage reaches the hooks once for the call")
    func retried() async throws {
        try await MockLLMServer.withRunning { server in
            server.enqueue([.fault(.serverError(503)), .success])
            let recorder = EventRecorder()
            var configuration = LLMClient.Configuration.openAI(apiKey: Self.key, baseURL: server.baseURL + "/v1")
            configuration.retryPolicy = try RetryPolicy(
                maxAttempts: 2, initialBackoff: .milliseconds(5), maxBackoff: .milliseconds(20))
            configuration.eventHandlers = [recorder]
            let reply = try await withLLMClient(configuration) { client in
                try await client.createResponse(ResponsesRequest(model: "gpt-test", input: "Hello"))
            }
            #expect(reply.status == .completed)
            #expect(server.stats.requests == 2)
            let kinds = recorder.events.map(\.kind)
            #expect(kinds.filter { $0 == .retryScheduled }.count == 1)
            let succeeded = recorder.events.filter { $0.kind == .requestSucceeded }
            #expect(succeeded.count == 1)
            #expect(succeeded.first?.operation == .responses)
            #expect(succeeded.first?.usage == reply.usage)
        }
    }

    @Test("a mid-stream error event is a typed stream_error keeping the text so far")
    func errorEvent() async throws {
        var mock = MockServerConfiguration()
        mock.faults = MockFaultPlan([.rate(1, .errorEvent(afterTokens: 3))])
        try await Self.withClient(mock) { client, _ in
            var snapshot: ResponsesResponse?
            let error = try await #require(throws: SluiceError.self) {
                try await client.streamResponse(ResponsesRequest(model: "gpt-test", input: "Hello")) { stream in
                    do {
                        for try await _ in stream {}
                    } catch {
                        snapshot = stream.snapshot
                        throw error
                    }
                }
            }
            #expect(error.code == .streamError)
            #expect(error.providerError?.code == "server_error")
            #expect(error.partialResponse?.text.split(separator: " ").count == 3)
            #expect(snapshot?.outputText.split(separator: " ").count == 3)
        }
    }

    @Test("a bad body gets OpenAI's 400 error shape as a typed bad_request; Anthropic refuses the call")
    func badRequests() async throws {
        try await Self.withClient { client, _ in
            let error = try await #require(throws: SluiceError.self) {
                _ = try await client.createResponse(ResponsesRequest(model: "gpt-test", input: .items([])))
            }
            #expect(error.code == .badRequest)
            #expect(error.status == 400)
            #expect(error.providerError?.param == "input")
        }
        try await MockLLMServer.withRunning { server in
            let configuration = LLMClient.Configuration.anthropic(apiKey: "KEY-anthropic", baseURL: server.baseURL)
            try await withLLMClient(configuration) { client in
                let error = try await #require(throws: SluiceError.self) {
                    _ = try await client.createResponse(ResponsesRequest(model: "claude", input: "hi"))
                }
                #expect(error.code == .unsupported)
            }
            #expect(server.stats.requests == 0)
        }
    }
}
