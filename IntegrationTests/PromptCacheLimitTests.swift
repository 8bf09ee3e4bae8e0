import Sluice
import SluiceMockServer
import Testing

/// Sluice's limiter against the mock server's Anthropic route, both holding one key to an input
/// limit that does not count cache reads: with a cached prefix, the client gives the reads back and
/// makes many times the calls the whole prompts would allow, without a 429 and without waiting.
@Suite("Prompt caching counted as Anthropic counts it, against the mock LLM server")
struct PromptCacheLimitTests {
    /// 4 400 ASCII bytes: 1 100 tokens for the mock server, a cacheable prefix.
    static let manual = String(repeating: "abc ", count: 1_100)
    /// 1 200 input tokens a minute (20 a second, next to nothing while the test runs) in a bucket
    /// of 3 000: two whole prompts of about 1 120 tokens, or one cache write and many reads.
    static let limits = (perMinute: 1_200, burst: 3_000)
    static let calls = 40

    /// Makes `calls` calls one after another (every other one streamed) with `settlement`, the
    /// client failing fast instead of waiting for budget. Returns the calls that succeeded, the
    /// first error, and the server's stats for the key.
    static func run(settlement: RateLimitSettlementPolicy?) async throws -> (
        Int, SluiceError?, MockServerStats.KeyStats
    ) {
        var mock = MockServerConfiguration()
        mock.keys = [
            MockAPIKey(
                name: "cache", secret: "sk-ant-cache",
                limits: MockRateLimits(inputTokensPerMinute: limits.perMinute, inputTokenBurst: limits.burst))
        ]
        return try await MockLLMServer.withRunning(mock) { server in
            var configuration = LLMClient.Configuration.anthropic(apiKey: "sk-ant-cache", baseURL: server.baseURL)
            configuration.retryPolicy = .disabled
            configuration.rateLimits = RateLimitMiddleware.Configuration(
                keys: [
                    APIKey(
                        "sk-ant-cache", label: "cache",
                        limits: RateLimits(inputTokensPerMinute: limits.perMinute, inputTokenBurst: limits.burst))
                ],
                waitPolicy: .failFast)
            configuration.rateLimits?.settlement = settlement
            let (succeeded, failure) = try await withLLMClient(configuration) { client -> (Int, SluiceError?) in
                for index in 0..<calls {
                    let request = ChatRequest(
                        model: "claude-test",
                        messages: [ChatMessage.system(manual).cached(), .user("Question \(index)?")],
                        maxOutputTokens: 8)
                    do {
                        let reply =
                            index.isMultiple(of: 2)
                            ? try await client.chat(request) : try await client.streamChat(request, onEvent: { _ in })
                        #expect(reply.usage?.cachedInputTokens == (index == 0 ? 0 : 1_100))
                    } catch {
                        return (index, error as? SluiceError)
                    }
                }
                return (calls, nil)
            }
            return (succeeded, failure, server.stats[key: "cache"])
        }
    }

    @Test("with the default settlement, 40 calls of about 1 120 prompt tokens fit a 3 000-token bucket, no 429")
    func readsGivenBack() async throws {
        let (succeeded, failure, stats) = try await Self.run(settlement: nil)
        #expect(failure == nil)
        #expect(succeeded == Self.calls)
        #expect(stats.tooManyRequests == 0)
        #expect(stats.cacheReadInputTokens == (Self.calls - 1) * 1_100)
        #expect(stats.cacheCreationInputTokens == 1_100)
        // What the server counted fits the bucket; the whole prompts would have been 15 times it.
        #expect(stats.inputTokensCharged < Self.limits.burst)
        #expect(stats.inputTokensCharged + stats.cacheReadInputTokens > 14 * Self.limits.burst)
    }

    @Test("counting cache reads, as before, the third call would have to wait about a minute")
    func readsCounted() async throws {
        let (succeeded, failure, stats) = try await Self.run(settlement: .refundUnusedOutput)
        #expect(succeeded == 2)
        #expect(failure?.code == .rateLimitWouldWait)
        #expect(stats.tooManyRequests == 0)
    }
}
