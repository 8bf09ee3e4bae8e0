import Sluice
import SluiceMockServer
import SluiceTesting
import Synchronization
import Testing

/// Outcomes collected from concurrent calls.
private final class Tally: Sendable {
    let state = Mutex((succeeded: 0, streamFailedAfterData: 0, other: [String](), output: 0, estimated: 0))
}

/// The resilience stack end to end: LLMClient over CurlTransport against the mock server enforcing
/// limits and injecting faults, on loopback. Limits are high-rate so each test runs in seconds.
@Suite("Resilience stack against the mock LLM server", .serialized)
struct ResilienceTests {
    static let key = "KEY-MARKER-resilience"

    static func request(_ prompt: String = "Tell me about rivers.", maxTokens: Int = 16) -> ChatRequest {
        ChatRequest(model: "gpt-4o-mini", messages: [.user(prompt)], maxOutputTokens: maxTokens)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    @Test("2,500 requests against limits well below demand: zero 429s, wall time within 5% of what the limits allow")
    func paceWithinLimits() async throws {
        let rate = 15_000  // requests per minute: 250 a second
        let burst = 250
        let total = 2_500
        var serverConfiguration = MockServerConfiguration()
        serverConfiguration.replyTokens = 4
        serverConfiguration.keys = [
            MockAPIKey(name: "limited", secret: Self.key, limits: MockRateLimits(requestsPerMinute: rate, requestBurst: burst))
        ]
        serverConfiguration.acceptsUnknownKeys = false
        try await MockLLMServer.withRunning(serverConfiguration) { server in
            var configuration = LLMClient.Configuration.openAI(apiKey: Self.key, baseURL: server.baseURL + "/v1")
            // A margin of 200 ms of refill (50 requests) absorbs loopback jitter on a loaded machine
            // (100 ms let 8 or 9 requests of 2,500 through early at a load of 4 on 2 cores once the
            // header corrections stopped subtracting calls twice); it costs 0.2 s at the start.
            configuration.rateLimits = RateLimitMiddleware.Configuration(
                keys: [APIKey(Self.key, limits: RateLimits(requestsPerMinute: rate, requestBurst: burst))],
                safetyMargin: RateLimitSafetyMargin(fractionOfCapacity: 0.02, refillTime: .milliseconds(200))
            )
            configuration.retryPolicy = .disabled
            try await withLLMClient(configuration) { client in
                let clock = ContinuousClock()
                let start = clock.now
                let results = await client.chatBatch((0..<total).map { _ in Self.request() }, maxConcurrency: total)
                let elapsed = Self.seconds(clock.now - start)
                let failures = results.filter { if case .failure = $0 { true } else { false } }
                #expect(failures.isEmpty)
                #expect(server.stats[key: "limited"].rateLimited == 0)
                #expect(server.stats[key: "limited"].requests == total)
                // The bucket starts full (burst), then refills at `rate` a minute.
                let ideal = Double(total - burst) / (Double(rate) / 60)
                #expect(elapsed >= ideal * 0.95, "finished in \(elapsed) s; the limits allow no less than \(ideal) s")
                #expect(elapsed <= ideal * 1.05, "finished in \(elapsed) s; ideal \(ideal) s")
            }
        }
    }

    @Test("with 20% injected faults every request that can succeed does, and usage is counted once")
    func faultsRecovered() async throws {
        var serverConfiguration = MockServerConfiguration()
        serverConfiguration.replyTokens = 6
        serverConfiguration.faults = MockFaultPlan(seed: 42, [
            .rate(0.05, .serverError(500)),
            .rate(0.05, .serverError(503)),
            .rate(0.04, .overloaded()),
            .rate(0.03, .dropConnection(afterTokens: 2)),
            .rate(0.03, .stall(afterTokens: 1, duration: .seconds(30))),
        ])
        try await MockLLMServer.withRunning(serverConfiguration) { server in
            var configuration = LLMClient.Configuration.openAI(apiKey: Self.key, baseURL: server.baseURL + "/v1")
            configuration.retryPolicy = try RetryPolicy(maxAttempts: 8, initialBackoff: .milliseconds(5), maxBackoff: .milliseconds(50))
            configuration.retryBudget = nil
            configuration.timeouts = TimeoutPolicy(streamingResponseHead: .seconds(5), firstToken: .seconds(2), idle: .milliseconds(400))
            configuration.concurrency = ConcurrencyLimits(maxConcurrentRequests: 32)
            configuration.rateLimits = RateLimitMiddleware.Configuration(
                apiKey: Self.key, limits: RateLimits(requestsPerMinute: 600_000, tokensPerMinute: 10_000_000))
            let tracker = UsageTracker()
            configuration.eventHandlers = [tracker]
            let outcome = Tally()
            try await withLLMClient(configuration) { client in
                await withTaskGroup(of: Void.self) { group in
                    for index in 0..<300 {
                        group.addTask {
                            let streamed = index % 2 == 0
                            do {
                                let reply = streamed
                                    ? try await client.streamChat(Self.request())
                                    : try await client.chat(Self.request())
                                outcome.state.withLock {
                                    $0.succeeded += 1
                                    $0.output += reply.usage?.outputTokens ?? 0
                                }
                            } catch let error as SluiceError where streamed && error.partialResponse != nil {
                                // A stream that failed after data reached the caller is never retried.
                                outcome.state.withLock {
                                    $0.streamFailedAfterData += 1
                                    // With no usage reported, the call is counted from the estimate
                                    // of the text it had delivered, flagged as estimated.
                                    if let reported = error.partialResponse?.usage?.outputTokens {
                                        $0.output += reported
                                    } else {
                                        $0.output += DefaultTokenEstimator.textTokens(error.partialResponse?.text ?? "")
                                        $0.estimated += 1
                                    }
                                }
                            } catch {
                                outcome.state.withLock { $0.other.append("\(SluiceError.wrapping(error).code)") }
                            }
                        }
                    }
                }
                #expect(client.inFlightCalls == 0)
            }
            let result = outcome.state.withLock { $0 }
            #expect(result.other.isEmpty, "unexpected failures: \(result.other)")
            #expect(result.succeeded + result.streamFailedAfterData == 300)
            #expect(result.succeeded >= 270)
            #expect(server.stats.faultsInjected.values.reduce(0, +) > 30)
            let settled = try await Self.eventually { server.stats.inFlight == 0 }
            #expect(settled)
            let usage = tracker.snapshot().totals
            #expect(usage.requests == 300)
            #expect(usage.succeeded == result.succeeded)
            #expect(usage.outputTokens == result.output)
            #expect(usage.estimatedCalls == result.estimated)
        }
    }

    @Test("after a 429 with retry-after the key pauses as one: no request reaches the server until it ends")
    func cooldownPausesTheKey() async throws {
        try await MockLLMServer.withRunning(MockServerConfiguration()) { server in
            server.enqueue([.fault(.rateLimited(retryAfter: .milliseconds(600)))])
            var configuration = LLMClient.Configuration.openAI(apiKey: Self.key, baseURL: server.baseURL + "/v1")
            configuration.limit(RateLimits(requestsPerMinute: 600_000))
            configuration.retryPolicy = try RetryPolicy(maxAttempts: 2)
            try await withLLMClient(configuration) { client in
                let first = Task { try await client.chat(Self.request()) }
                let saw429 = try await Self.eventually { server.stats.faults(.http429) == 1 }
                #expect(saw429)
                let clock = ContinuousClock()
                let pausedAt = clock.now
                let others = Task {
                    await client.chatBatch((0..<29).map { _ in Self.request() }, maxConcurrency: 29)
                }
                try await Task.sleep(for: .milliseconds(250))
                // 250 ms into a 600 ms cooldown nothing else has been sent.
                if clock.now - pausedAt < .milliseconds(500) {
                    #expect(server.stats.requests == 1)
                }
                _ = try await first.value
                let results = await others.value
                #expect(results.allSatisfy { if case .success = $0 { true } else { false } })
                #expect(server.stats.requests == 31)
                #expect(server.stats.faults(.http429) == 1)
            }
        }
    }

    @Test("a call whose projected rate-limit wait exceeds its deadline fails at once")
    func deadlineFailsFast() async throws {
        try await MockLLMServer.withRunning(MockServerConfiguration()) { server in
            var configuration = LLMClient.Configuration.openAI(apiKey: Self.key, baseURL: server.baseURL + "/v1")
            configuration.limit(RateLimits(requestsPerMinute: 6, requestBurst: 1))
            try await withLLMClient(configuration) { client in
                _ = try await client.chat(Self.request())
                var options = CallOptions()
                options.timeouts = TimeoutPolicy(total: .milliseconds(500))
                let clock = ContinuousClock()
                let start = clock.now
                let error = await #expect(throws: SluiceError.self) { try await client.chat(Self.request(), options: options) }
                #expect(error?.code == .rateLimitWaitExceedsDeadline)
                // The next slot is 10 s away: the call failed without waiting for its deadline.
                #expect(clock.now - start < .milliseconds(400))
                #expect(server.stats.requests == 1)
            }
        }
    }

    static func eventually(within limit: Duration = .seconds(5), _ condition: () -> Bool) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limit)
        while clock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}
