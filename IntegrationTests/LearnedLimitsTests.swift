import Sluice
import SluiceMockServer
import SluiceTesting
import Synchronization
import Testing

/// The next call to make and the failed calls, shared by the callers.
private final class LearnedTally: Sendable {
    let next = Atomic(0)
    let failures = Mutex([String]())
}

extension RateLimitAgreementTests {
    /// A client with no limits configured against a server that enforces a burst and a rate and says
    /// so in its headers: the client learns the limits from the first answers and paces to them.
    /// Loopback only; bounded (120 calls, 30 s). Nested in ``RateLimitAgreementTests`` so that it
    /// runs with the pacing suites that run alone.
    @Suite("Learned limits")
    struct Learned {
        static let key = "KEY-MARKER-learned"

        @Test("no limits configured, 48 callers against 40 burst + 20/s: 429s only in the first round, the key ends at the server's limits", arguments: [false, true])
        func learns(anthropic: Bool) async throws {
            let burst = 40
            let rate = 1_200  // 20 requests a second
            let callers = 48
            let calls = 120
            var serverConfiguration = MockServerConfiguration()
            serverConfiguration.replyTokens = 8
            serverConfiguration.latency = MockLatency(head: .milliseconds(50))
            serverConfiguration.keys = [
                MockAPIKey(name: "learned", secret: Self.key, limits: MockRateLimits(requestsPerMinute: rate, requestBurst: burst))
            ]
            serverConfiguration.acceptsUnknownKeys = false
            try await MockLLMServer.withRunning(serverConfiguration) { server in
                var configuration =
                    anthropic
                    ? LLMClient.Configuration.anthropic(apiKey: Self.key, baseURL: server.baseURL)
                    : LLMClient.Configuration.openAI(apiKey: Self.key, baseURL: server.baseURL + "/v1")
                let events = EventRecorder()
                configuration.eventHandlers = [events]
                #expect(configuration.rateLimits == nil)
                try await withLLMClient(configuration) { client in
                    let tally = LearnedTally()
                    let start = ContinuousClock.now
                    await withTaskGroup(of: Void.self) { group in
                        for _ in 0..<callers {
                            group.addTask {
                                while true {
                                    let index = tally.next.add(1, ordering: .relaxed).oldValue
                                    guard index < calls, ContinuousClock.now - start < .seconds(30) else { return }
                                    let request = ChatRequest(
                                        model: anthropic ? "claude-test" : "gpt-4o-mini", messages: [.user("Ticket #\(index)")], maxOutputTokens: 8)
                                    do {
                                        _ = try await client.chat(request)
                                    } catch {
                                        tally.failures.withLock { $0.append("call \(index): \(error)") }
                                    }
                                }
                            }
                        }
                    }
                    let failed = tally.failures.withLock { $0 }
                    let stats = server.stats[key: "learned"]
                    #expect(failed.isEmpty, "\(failed.count) calls failed: \(failed.prefix(2))")
                    // The first round (the calls sent before any answer came) can draw at most the
                    // callers beyond the burst; a retry, always sent after an answer, is never refused.
                    #expect(stats.rateLimited <= callers - burst, "\(stats.rateLimited) 429s")
                    let recorded = events.events
                    let refusedRetries = recorded.filter { $0.kind == .responseHead && $0.status == 429 && $0.attempt > 1 }
                    #expect(refusedRetries.isEmpty, "\(refusedRetries.count) retries refused")
                    // The key's request bucket took the server's limit, once.
                    let learned = recorded.filter { $0.kind == .limitLearned && $0.reason == "requests" }
                    #expect(learned.map(\.limit) == [rate])
                    #expect(learned.first?.keyID != nil)
                }
            }
        }
    }
}
