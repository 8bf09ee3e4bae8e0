// Using the mock LLM server in your own tests, with Swift Testing: script faults with `enqueue`,
// then assert on what your code did and on `server.stats`.
//
//     swift test --filter ExampleMockServerTests
//
// Each test starts its own server on 127.0.0.1 with a free port, so tests run in parallel.
import Sluice
import SluiceMockServer
import Testing

@Suite("Testing with the mock server")
struct MockServerTests {
    static let prompt = "What is a sluice?"
    static let request = ChatRequest(model: "gpt-4o-mini", messages: [.user(prompt)])

    /// Runs `body` with a mock server and a client pointed at it.
    func withServer(
        _ mock: MockServerConfiguration = MockServerConfiguration(replyTokens: 5),
        retryPolicy: RetryPolicy = .default,
        learnsLimits: Bool = true,
        _ body: (LLMClient, MockLLMServer) async throws -> Void
    ) async throws {
        try await MockLLMServer.withRunning(mock) { server in
            var configuration = LLMClient.Configuration.openAI(apiKey: "sk-test", baseURL: server.baseURL + "/v1")
            configuration.retryPolicy = retryPolicy
            configuration.learnsLimitsFromHeaders = learnsLimits
            try await withLLMClient(configuration) { try await body($0, server) }
        }
    }

    @Test("a 503 is retried and the caller gets the reply")
    func retriedServerError() async throws {
        try await withServer { client, server in
            // The next request fails with 503; the server asks for a retry in 10 ms.
            server.enqueue([.fault(.serverError(503, retryAfter: .milliseconds(10))), .success])

            let reply = try await client.chat(Self.request)

            // Replies are deterministic: one word per token, chosen from the prompt.
            #expect(reply.text == MockReplyGenerator.reply(to: Self.prompt, tokens: 5))
            #expect(server.stats.requests == 2)
            #expect(server.stats.faults(.http503) == 1)
        }
    }

    @Test("a stream cut after three tokens fails with the partial reply and is not retried")
    func droppedStream() async throws {
        try await withServer { client, server in
            server.enqueue(.dropConnection(afterTokens: 3))

            let error = await #expect(throws: SluiceError.self) {
                _ = try await client.streamChat(Self.request) { stream in try await stream.finalResponse() }
            }

            #expect(error?.code == .connectionClosed)
            #expect(error?.partialResponse?.text == MockReplyGenerator.reply(to: Self.prompt, tokens: 3))
            #expect(server.stats.requests == 1)  // bytes had reached the caller: never retried
        }
    }

    @Test("past the key's limit the server answers 429, counted for that key")
    func serverRateLimit() async throws {
        // The server enforces 2 requests a minute for this key; the client neither limits nor retries
        // (nor learns the limit from the server's headers, which would make the third call wait).
        let key = MockAPIKey(name: "tenant-a", secret: "sk-test", limits: MockRateLimits(requestsPerMinute: 2))
        try await withServer(MockServerConfiguration(keys: [key], replyTokens: 5), retryPolicy: .disabled, learnsLimits: false) {
            client, server in
            _ = try await client.chat(Self.request)
            _ = try await client.chat(Self.request)
            let error = await #expect(throws: SluiceError.self) { try await client.chat(Self.request) }

            #expect(error?.code == .rateLimited)
            #expect(error?.status == 429)
            #expect(server.stats[key: "tenant-a"].requests == 3)
            #expect(server.stats[key: "tenant-a"].rateLimited == 1)
        }
    }
}
