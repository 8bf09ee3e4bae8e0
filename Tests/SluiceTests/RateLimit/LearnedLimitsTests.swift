import Sluice
import SluiceTesting
import Testing

@Suite("Rate limits learned from the provider's headers")
struct LearnedLimitsTests {
    func limiter(_ limits: RateLimits, learns: Bool = true, provider: Provider = .openAI, clock: TestClock) -> RateLimitMiddleware {
        var configuration = RateLimitMiddleware.Configuration(keys: [APIKey("sk-1", label: "k", limits: limits)], safetyMargin: .none)
        configuration.learnsLimitsFromHeaders = learns
        let adapter: any ProviderAdapter = provider == .anthropic ? AnthropicAdapter() : OpenAIAdapter()
        return RateLimitMiddleware(configuration: configuration, adapter: adapter, clock: clock)
    }

    static let openAIHeaders: HTTPHeaders = [
        "x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "10",
        "x-ratelimit-limit-tokens": "90000", "x-ratelimit-remaining-tokens": "40000",
    ]

    @Test("limit headers are read saturating; zero, negative, fractional and absurd limits are ignored")
    func parsing() {
        let good = RateLimitObservation(headers: [
            "x-ratelimit-limit-requests": " 600 ", "x-ratelimit-limit-tokens": "1000000000000",
            "anthropic-ratelimit-input-tokens-limit": "30000", "anthropic-ratelimit-output-tokens-limit": "8000",
        ])
        #expect(good?.limit == .init(requests: 600, tokens: 1_000_000_000_000, inputTokens: 30_000, outputTokens: 8_000))
        for hostile in ["0", "-5", "1000000000001", "99999999999999999999999999", "12.5", "1e3", "abc", ""] {
            let observation = RateLimitObservation(headers: ["x-ratelimit-limit-requests": hostile])
            #expect(observation?.limit.requests == nil, "\(hostile)")
        }
        #expect(RateLimitObservation(headers: ["x-ratelimit-limit-requests": "0"]) == nil)
        // A remaining count above the limit of the same answer is dropped; one at or below it stays.
        let above = RateLimitObservation(headers: ["x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "61"])
        #expect(above?.limit.requests == 60)
        #expect(above?.remaining.requests == nil)
        let within = RateLimitObservation(headers: ["anthropic-ratelimit-requests-limit": "60", "anthropic-ratelimit-requests-remaining": "60"])
        #expect(within?.remaining.requests == 60)
        // Resets: OpenAI's Go durations, the exhausted one first.
        let reset = RateLimitObservation(headers: [
            "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1.5s",
            "x-ratelimit-remaining-tokens": "5", "x-ratelimit-reset-tokens": "6m0s",
        ])
        #expect(reset?.reset == .milliseconds(1_500))
    }

    @Test("tightening: unlimited or higher dimensions take the server's limit; lower configured ones stay")
    func tightening() {
        let server = RateLimitObservation.Remaining(requests: 60, tokens: 90_000)
        #expect(RateLimits.unlimited.tightened(by: server) == RateLimits(requestsPerMinute: 60, tokensPerMinute: 90_000, requestBurst: 60, tokenBurst: 90_000))
        let lower = RateLimits(requestsPerMinute: 30, tokensPerMinute: 500_000, requestBurst: 5)
        #expect(lower.tightened(by: server) == RateLimits(requestsPerMinute: 30, tokensPerMinute: 90_000, requestBurst: 5, tokenBurst: 90_000))
    }

    @Test("no limits configured: the answer's limits become the key's buckets, corrected to its remaining, with an event each")
    func learnsWhenUnlimited() async throws {
        let clock = TestClock()
        let events = EventRecorder()
        let middleware = limiter(.unlimited, clock: clock)
        let transport = InMemoryTransport { _ in RL.response(200, Self.openAIHeaders) }
        _ = try await RL.send(middleware, transport, context: RL.context(events: events, clock: clock))
        #expect(await RL.available(middleware.store, RL.bucket("k"), .requests) == 10)
        #expect(await RL.available(middleware.store, RL.bucket("k"), .tokens) == 40_000)
        let learned = events.events(ofKind: .limitLearned)
        #expect(learned.map(\.reason) == ["requests", "tokens"])
        #expect(learned.map(\.limit) == [60, 90_000])
        #expect(learned.allSatisfy { $0.keyID == KeyID(rawValue: "k") && $0.text == "was unlimited" })
        #expect(!learned.description.contains("sk-1"))
        // The same limits again change nothing and report nothing; the buckets refill to the limits.
        _ = try await RL.send(middleware, transport, context: RL.context(events: events, clock: clock))
        #expect(events.events(ofKind: .limitLearned).count == 2)
        clock.advance(by: .seconds(600))
        #expect(await RL.available(middleware.store, RL.bucket("k"), .requests) == 60)
        #expect(await RL.available(middleware.store, RL.bucket("k"), .tokens) == 90_000)
    }

    @Test("a configured limit above the server's is lowered to it; one below it stays")
    func configuredLimits() async throws {
        let clock = TestClock()
        let events = EventRecorder()
        let middleware = limiter(RateLimits(requestsPerMinute: 30, tokensPerMinute: 1_000_000), clock: clock)
        let transport = InMemoryTransport { _ in
            RL.response(200, ["x-ratelimit-limit-requests": "60", "x-ratelimit-limit-tokens": "90000"])
        }
        _ = try await RL.send(middleware, transport, context: RL.context(events: events, clock: clock))
        let learned = events.events(ofKind: .limitLearned)
        #expect(learned.map(\.reason) == ["tokens"])
        #expect(learned.first?.text == "was 1000000 per minute")
        clock.advance(by: .seconds(600))
        #expect(await RL.available(middleware.store, RL.bucket("k"), .requests) == 30)
        #expect(await RL.available(middleware.store, RL.bucket("k"), .tokens) == 90_000)
    }

    @Test("learning off: no limits configured stays unlimited, with no event")
    func learningOff() async throws {
        let clock = TestClock()
        let events = EventRecorder()
        let middleware = limiter(.unlimited, learns: false, clock: clock)
        let transport = InMemoryTransport { _ in RL.response(200, Self.openAIHeaders) }
        _ = try await RL.send(middleware, transport, context: RL.context(events: events, clock: clock))
        #expect(await middleware.store.state(of: RL.bucket("k"))?.available.isEmpty == true)
        #expect(events.events(ofKind: .limitLearned).isEmpty)
    }

    @Test("Anthropic's limits for requests, input and output tokens are learned")
    func anthropic() async throws {
        let clock = TestClock()
        let middleware = limiter(.unlimited, provider: .anthropic, clock: clock)
        let transport = InMemoryTransport { _ in
            RL.response(200, [
                "anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "49",
                "anthropic-ratelimit-input-tokens-limit": "30000", "anthropic-ratelimit-input-tokens-remaining": "29000",
                "anthropic-ratelimit-output-tokens-limit": "8000", "anthropic-ratelimit-output-tokens-remaining": "7000",
            ])
        }
        _ = try await RL.send(middleware, transport, context: RL.context(provider: .anthropic, clock: clock))
        #expect(await RL.available(middleware.store, RL.bucket("k"), .requests) == 49)
        #expect(await RL.available(middleware.store, RL.bucket("k"), .inputTokens) == 29_000)
        #expect(await RL.available(middleware.store, RL.bucket("k"), .outputTokens) == 7_000)
    }

    @Test("a 429 without retry-after cools the key until the headers' reset, else for a doubling backoff")
    func cooldownWithoutRetryAfter() async throws {
        let clock = TestClock()
        let events = EventRecorder()
        let middleware = limiter(.unlimited, clock: clock)
        let withReset = InMemoryTransport { _ in
            RL.response(429, ["x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "3s"])
        }
        _ = try await RL.send(middleware, withReset, context: RL.context(events: events, clock: clock))
        let bare = InMemoryTransport { _ in RL.response(429) }
        let state = await middleware.store.state(of: RL.bucket("k"))
        #expect(state?.cooldownUntil == clock.now + .seconds(3))
        clock.advance(by: .seconds(3))
        _ = try await RL.send(middleware, bare, context: RL.context(events: events, clock: clock))
        clock.advance(by: .seconds(4))
        _ = try await RL.send(middleware, bare, context: RL.context(events: events, clock: clock))
        #expect(events.events(ofKind: .cooldownStarted).map(\.delay) == [.seconds(3), .seconds(2), .seconds(4)])

        // Learning off: no retry-after, no cooldown.
        let off = limiter(.unlimited, learns: false, clock: clock)
        _ = try await RL.send(off, bare, context: RL.context(clock: clock))
        #expect(await off.store.state(of: RL.bucket("k"))?.cooldownUntil == nil)
    }
}

extension LearnedLimitsTests {
    @Test("the article's samples turn learning off")
    func articleSamples() {
        let key = "sk-article"
        var configuration = LLMClient.Configuration.openAI(apiKey: key)
        configuration.learnsLimitsFromHeaders = false
        #expect(!configuration.learnsLimitsFromHeaders)

        var limits = RateLimitMiddleware.Configuration(apiKey: key, limits: RateLimits(requestsPerMinute: 500))
        limits.learnsLimitsFromHeaders = false
        configuration.rateLimits = limits
        #expect(configuration.rateLimits?.learnsLimitsFromHeaders == false)
    }
}

extension LearnedLimitsTests {
    @Test("a learned bucket counts the requests admitted before it existed, which the report may not count")
    func inFlightBeforeLearning() async throws {
        let clock = TestClock()
        let store = InMemoryRateLimitStore(clock: clock)
        let first = try await store.reserve(RL.request("k", limits: .unlimited, cost: RL.requests(1)))
        _ = try await store.reserve(RL.request("k", limits: .unlimited, cost: RL.requests(1)))
        _ = try await store.reserve(RL.request("k", limits: .unlimited, cost: RL.requests(1)))
        let learned = RateLimitCandidate(bucket: RL.bucket("k"), limits: RateLimits.unlimited.tightened(by: .init(requests: 60)))
        await store.adopt(learned, safetyMargin: .none)
        #expect(await RL.available(store, RL.bucket("k"), .requests) == 60)
        // The first request's reply says 10 left: the two admitted after it are not in that count.
        #expect(await store.sync(first, with: RateLimitObservation(remaining: .init(requests: 10))))
        #expect(await RL.available(store, RL.bucket("k"), .requests) == 8)
        // A request admitted after the bucket was made is charged to it: its report stands as is.
        let later = try await store.reserve(RL.request("k", limits: learned.limits, cost: RL.requests(1)))
        #expect(await RL.available(store, RL.bucket("k"), .requests) == 7)
        #expect(await store.sync(later, with: RateLimitObservation(remaining: .init(requests: 5))))
        #expect(await RL.available(store, RL.bucket("k"), .requests) == 5)
    }
}
