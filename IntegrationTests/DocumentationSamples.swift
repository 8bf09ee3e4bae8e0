import Sluice
import SluiceMockServer
import SluiceRedis
import Testing

// The Swift samples of README.md and of the "Testing with the mock server" article that need the
// mock server or SluiceRedis. This file compiling is what keeps them compiling;
// `DocumentationSamplesTests` (in Tests/SluiceTests) checks that they are here line for line. Change
// them together.

enum ReadmeIntegrationSamples {
    /// README, "Limits, retries and timeouts": the shared store.
    static func sharedLimits(configuration: inout LLMClient.Configuration) throws {
        let store = RedisRateLimitStore(configuration: try .init(url: "redis://127.0.0.1:6379/0"))
        configuration.rateLimits?.store = store
        configuration.concurrencyStore = store.concurrencyPermits
    }

    /// README, "The mock LLM server" (compiled, not run: the README leaves the client to the reader).
    static func mockServer() async throws {
        var configuration = MockServerConfiguration()
        configuration.keys = [MockAPIKey(name: "tenant-a", secret: "test-key",
                                         limits: MockRateLimits(requestsPerMinute: 60, tokensPerMinute: 40_000))]
        try await MockLLMServer.withRunning(configuration) { server in
            server.enqueue([.fault(.rateLimited()), .fault(.dropConnection(afterTokens: 3)), .success])
            // … point your client at server.baseURL …
            #expect(server.stats[key: "tenant-a"].rateLimited == 0)
        }
    }
}

// TestingWithTheMockServer.md, run as it stands.

@Test func retriesAfterOverload() async throws {
    try await MockLLMServer.withRunning(MockServerConfiguration()) { server in
        server.enqueue([.fault(.overloaded()), .success])
        let client = try LLMClient(.openAI(apiKey: "test", baseURL: server.baseURL + "/v1"))
        _ = try await client.chat("hi", model: "gpt-4o-mini")
        #expect(server.stats.requests == 2)
        await client.shutdown()
    }
}
