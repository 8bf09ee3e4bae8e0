import Sluice
import SluiceMockServer
import SluiceTesting
import Synchronization
import Testing

/// Failed calls and the next call to make, shared by the callers.
private final class Tally: Sendable {
    let failures = Mutex([String]())
    let next = Atomic(0)
}

extension RateLimitAgreementTests {
    /// A client configured with exactly the server's limits paces by its own buckets and by the
    /// server's `x-ratelimit-remaining-*` headers without a 429 and without losing capacity to them,
    /// however the server's reports disagree with the client's count: requests handled one at a time,
    /// replies in the order counted, replies deliberately reordered, remaining token counts rounded to a coarse unit. Loopback
    /// only; each run is bounded (200 calls, 60 s). Nested in ``RateLimitAgreementTests`` so that it
    /// runs with the pacing suites that run alone (`--filter 'ResilienceTests|RateLimitAgreementTests'`).
    @Suite("Pacing with rate-limit headers")
    struct Headers {
        static let key = "KEY-MARKER-pacing"

        enum Mode: String, CustomStringConvertible, CaseIterable, Sendable {
            /// The server handles one request at a time: each report counts exactly the calls before it.
            case inOrder = "in-order"
            /// The server counts at arrival and answers after a fixed latency.
            case counted
            /// Each reply is held up to 50 ms more at random: replies return out of the order counted.
            case reordered
            /// Remaining token counts are rounded down to the thousand.
            case rounded

            var description: String { rawValue }
        }

        @Test("200 calls at 20 a second after a burst of 100: zero 429s, every call answered, wall time near what the limits allow", arguments: Mode.allCases, [1, 8, 32, 128])
        func pacing(mode: Mode, callers: Int) async throws {
            try await self.run(mode: mode, callers: callers, anthropic: false)
        }

        /// Anthropic's headers: RFC 3339 resets, input and output tokens apart, counts rounded.
        @Test("Anthropic: 200 calls at 20 a second after a burst of 100 with input and output token limits: zero 429s, wall time near what the limits allow", arguments: [Mode.counted, .rounded], [32])
        func anthropicPacing(mode: Mode, callers: Int) async throws {
            try await self.run(mode: mode, callers: callers, anthropic: true)
        }

        private func run(mode: Mode, callers: Int, anthropic: Bool) async throws {
            let rate = 1_200  // 20 requests a second
            let tokens = 600_000  // 10,000 tokens a second: each call reserves about 50
            var serverConfiguration = MockServerConfiguration()
            serverConfiguration.replyTokens = 8
            // Up to 200 ms an answer: with many callers, many calls are in flight when each reply comes.
            // One at a time, 2 ms an answer keeps the server faster than the limits.
            let latency = mode == .inOrder ? Duration.milliseconds(2) : .milliseconds(min(200, 25 * callers))
            let jitter = mode == .reordered ? Duration.milliseconds(50) : .zero
            serverConfiguration.latency = MockLatency(head: latency)
            switch mode {
            case .inOrder: serverConfiguration.rateLimitReporting = MockRateLimitReporting(handling: .inOrder)
            case .counted: break
            case .reordered: serverConfiguration.rateLimitReporting = MockRateLimitReporting(replyJitter: jitter)
            case .rounded: serverConfiguration.rateLimitReporting = MockRateLimitReporting(remainingUnit: 1_000)
            }
            serverConfiguration.keys = [
                MockAPIKey(
                    name: "pacing", secret: Self.key,
                    limits: anthropic
                        ? MockRateLimits(
                            requestsPerMinute: rate, inputTokensPerMinute: tokens, outputTokensPerMinute: tokens / 5,
                            requestBurst: 100, inputTokenBurst: 20_000, outputTokenBurst: 4_000)
                        : MockRateLimits(requestsPerMinute: rate, tokensPerMinute: tokens, requestBurst: 100, tokenBurst: 20_000))
            ]
            serverConfiguration.acceptsUnknownKeys = false
            try await MockLLMServer.withRunning(serverConfiguration) { server in
                var configuration =
                    anthropic
                    ? LLMClient.Configuration.anthropic(apiKey: Self.key, baseURL: server.baseURL)
                    : LLMClient.Configuration.openAI(apiKey: Self.key, baseURL: server.baseURL + "/v1")
                let limits =
                    anthropic
                    ? RateLimits(
                        requestsPerMinute: rate, inputTokensPerMinute: tokens, outputTokensPerMinute: tokens / 5,
                        requestBurst: 100, inputTokenBurst: 20_000, outputTokenBurst: 4_000)
                    : RateLimits(requestsPerMinute: rate, tokensPerMinute: tokens, requestBurst: 100, tokenBurst: 20_000)
                configuration.rateLimits = RateLimitMiddleware.Configuration(keys: [APIKey(Self.key, limits: limits)])
                configuration.retryPolicy = .disabled
                try await withLLMClient(configuration) { client in
                    let tally = Tally()
                    let calls = 200
                    let start = ContinuousClock.now
                    await withTaskGroup(of: Void.self) { group in
                        for _ in 0..<callers {
                            group.addTask {
                                while true {
                                    let index = tally.next.add(1, ordering: .relaxed).oldValue
                                    guard index < calls, ContinuousClock.now - start < .seconds(60) else { return }
                                    let request = ChatRequest(
                                        model: anthropic ? "claude-test" : "gpt-4o-mini", messages: [.user("Ticket #\(index): summarise it.")], maxOutputTokens: 8)
                                    do {
                                        _ = try await client.chat(request)
                                    } catch {
                                        tally.failures.withLock { $0.append("call \(index): \(error)") }
                                    }
                                }
                            }
                        }
                    }
                    let wall = ContinuousClock.now - start
                    let failed = tally.failures.withLock { $0 }
                    let stats = server.stats[key: "pacing"]
                    #expect(stats.rateLimited == 0, "\(mode), \(callers) callers: \(stats.rateLimited) 429s: \(failed.prefix(2))")
                    #expect(failed.isEmpty, "\(mode), \(callers) callers: \(failed.count) calls failed: \(failed.prefix(2))")
                    #expect(stats.requests == calls)
                    // (200 - 100) calls at 20 a second: 5 s, or the callers' own pace if slower; plus the
                    // safety margin (250 ms of refill), a rounding unit's refill (0.1 s) and the last
                    // answer (200 ms). A share of capacity lost to the headers would show here.
                    // The callers' own pace counts 10 ms a call for the client and the loopback round trip.
                    let allowed = max(.seconds(5), (latency + jitter + .milliseconds(10)) * calls / callers) + .milliseconds(800)
                    #expect(wall < allowed, "\(mode), \(callers) callers: \(wall), the limits and the latency allow \(allowed)")
                }
            }
        }
    }
}
