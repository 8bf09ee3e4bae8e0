import Sluice
import SluiceMockServer
import SluiceTesting
import Synchronization
import Testing

/// Failures collected from concurrent calls.
private final class Failures: Sendable {
    let list = Mutex([String]())
}

/// A client configured with exactly the server's limits never sees a 429: the client's buckets and
/// the mock server's agree from the very first request, for plain and streamed calls, with and
/// without `max_tokens`. Loopback only.
///
/// The server answers after 400 ms, more than the default safety margin (250 ms of refill), so a
/// transport that holds the first burst's requests until the first answer (libcurl's `PIPEWAIT`
/// on a cleartext HTTP/1.1 origin) makes them reach the server in one lump after the bucket has
/// refilled, and the server refuses some.
@Suite("Client and mock server agree on the rate limits", .serialized)
struct RateLimitAgreementTests {
    static let key = "KEY-MARKER-agreement"
    static let topics = [
        "a refund that was charged twice", "a password reset email that never arrives",
        "an invoice in the wrong currency", "a dashboard that loads slowly",
    ]

    static func request(_ index: Int) -> ChatRequest {
        ChatRequest(
            model: "gpt-4o-mini",
            messages: [
                .system("You are a support assistant. Be brief."),
                .user("Ticket #\(1_000 + index): summarise \(topics[index % topics.count])."),
            ],
            maxOutputTokens: index % 2 == 0 ? 24 : nil
        )
    }

    @Test("64 concurrent first calls with small bursts and slow answers: zero 429s, every call succeeds")
    func firstCallsWithinLimits() async throws {
        let rate = 1_200  // requests per minute: 20 a second
        let tokens = 80_000  // tokens per minute
        var serverConfiguration = MockServerConfiguration()
        serverConfiguration.replyTokens = 20
        serverConfiguration.latency = MockLatency(head: .milliseconds(400))
        serverConfiguration.keys = [
            MockAPIKey(
                name: "agreement", secret: Self.key,
                limits: MockRateLimits(
                    requestsPerMinute: rate, tokensPerMinute: tokens, requestBurst: 10, tokenBurst: 1_000))
        ]
        serverConfiguration.acceptsUnknownKeys = false
        try await MockLLMServer.withRunning(serverConfiguration) { server in
            var configuration = LLMClient.Configuration.openAI(apiKey: Self.key, baseURL: server.baseURL + "/v1")
            configuration.rateLimits = RateLimitMiddleware.Configuration(keys: [
                APIKey(
                    Self.key,
                    limits: RateLimits(
                        requestsPerMinute: rate, tokensPerMinute: tokens, requestBurst: 10, tokenBurst: 1_000))
            ])
            // Calls without max_tokens reserve this; the server charges the reply length (20).
            configuration.assumedMaxOutputTokens = 64
            configuration.retryPolicy = .disabled
            try await withLLMClient(configuration) { client in
                let failures = Failures()
                await withTaskGroup(of: Void.self) { group in
                    for index in 0..<64 {
                        group.addTask {
                            do {
                                if index % 4 < 2 {
                                    _ = try await client.chat(Self.request(index))
                                } else {
                                    _ = try await client.streamChat(Self.request(index))
                                }
                            } catch {
                                failures.list.withLock { $0.append("call \(index): \(error)") }
                            }
                        }
                    }
                }
                let failed = failures.list.withLock { $0 }
                let stats = server.stats[key: "agreement"]
                #expect(stats.rateLimited == 0, "\(stats.rateLimited) 429s: \(failed.prefix(2))")
                #expect(failed.isEmpty, "\(failed.count) calls failed: \(failed.prefix(2))")
                #expect(stats.requests == 64)
            }
        }
    }
}
