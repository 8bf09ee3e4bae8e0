import Sluice
import SluiceTesting
import Synchronization
import Testing

@Suite("RateLimitMiddleware")
struct RateLimitMiddlewareTests {
    static let openAILimits = RateLimits(requestsPerMinute: 60, tokensPerMinute: 6_000)
    static let anthropicLimits = RateLimits(requestsPerMinute: 60, inputTokensPerMinute: 6_000, outputTokensPerMinute: 1_200)

    func limiter(
        _ keys: [APIKey], provider: Provider = .openAI, clock: TestClock, waitPolicy: RateLimitWaitPolicy = .wait,
        learns: Bool = true
    ) -> RateLimitMiddleware {
        var configuration = RateLimitMiddleware.Configuration(keys: keys, safetyMargin: .none, waitPolicy: waitPolicy)
        configuration.learnsLimitsFromHeaders = learns
        let adapter: any ProviderAdapter = provider == .anthropic ? AnthropicAdapter() : OpenAIAdapter()
        return RateLimitMiddleware(configuration: configuration, adapter: adapter, clock: clock)
    }

    @Test("sends with the chosen key's credentials and sets the context's key id")
    func authorizesWithChosenKey() async throws {
        let clock = TestClock()
        let key = APIKey("sk-secret-one", label: "one", limits: Self.openAILimits)
        let middleware = limiter([key], clock: clock)
        let transport = InMemoryTransport { _ in RL.response(200) }
        let seen = Recorder<ClientContext>()
        _ = try await RL.send(middleware, transport, context: RL.context(), seen: seen)
        #expect(RL.authorization(transport.requests[0]) == "Bearer sk-secret-one")
        #expect(seen.all.first?.keyID == KeyID(rawValue: "one"))
        let state = await middleware.store.state(of: RL.bucket("one"))
        #expect(state?.available[.tokens] == 5_700)
        #expect(state?.available[.requests] == 59)
    }

    @Test("Anthropic requests get x-api-key and spend the input and output buckets separately")
    func anthropicBuckets() async throws {
        let clock = TestClock()
        let middleware = limiter([APIKey("sk-ant", label: "a", limits: Self.anthropicLimits)], provider: .anthropic, clock: clock)
        let transport = InMemoryTransport { _ in RL.response(200) }
        _ = try await RL.send(middleware, transport, context: RL.context(provider: .anthropic, input: 100, maxOutput: 200))
        #expect(transport.requests[0].headers["x-api-key"] == "sk-ant")
        let state = await middleware.store.state(of: RL.bucket("a"))
        #expect(state?.available[.inputTokens] == 5_900)
        #expect(state?.available[.outputTokens] == 1_000)
        #expect(state?.available[.tokens] == nil)
    }

    @Test("a 429 with retry-after-ms cools the key down: the next request waits for it")
    func cooldownFrom429() async throws {
        let clock = TestClock()
        let events = EventRecorder()
        let middleware = limiter([APIKey("sk-1", label: "k", limits: Self.openAILimits)], clock: clock)
        let statuses = Recorder<Int>()
        let transport = InMemoryTransport { _ in
            statuses.append(0)
            return statuses.all.count == 1
                ? RL.response(429, ["retry-after": "2", "retry-after-ms": "1500"], body: #"{"error":{"type":"rate_limit_error"}}"#)
                : RL.response(200)
        }
        let first = try await RL.send(middleware, transport, context: RL.context(events: events, clock: clock))
        #expect(first.status == 429)
        #expect(await middleware.store.state(of: RL.bucket("k"))?.cooldownUntil == .milliseconds(1_500))
        let cooldown = events.events(ofKind: .cooldownStarted)
        #expect(cooldown.map(\.delay) == [.milliseconds(1_500)])
        #expect(cooldown.map(\.keyID) == [KeyID(rawValue: "k")])

        let second = Task { try await RL.send(middleware, transport, context: RL.context(callID: 2, events: events, clock: clock)) }
        // Two sleepers: the task that reports cooldown_ended, and the store's timer for the waiter.
        await clock.waitForSleepers(2)
        await RL.eventually("second call queued") { await RL.waiting(middleware.store, RL.bucket("k")) == 1 }
        #expect(transport.requests.count == 1)
        clock.advance(by: .milliseconds(1_500))
        #expect(try await second.value.status == 200)
        let waited = events.events(ofKind: .rateLimitWaitEnded)
        #expect(waited.map(\.callID) == [2])
        #expect(waited.map(\.keyID) == [KeyID(rawValue: "k")])
        #expect(waited.map(\.waited) == [.milliseconds(1_500)])
    }

    @Test("a 429 refunds the tokens but keeps the request; a 500 or a transport error keeps the whole charge")
    func refundOnlyFor429() async throws {
        let clock = TestClock()
        // Without learning, a 429 that names no delay does not pause the key (with it, the next
        // request would wait for the backoff: see LearnedLimitsTests).
        let middleware = limiter([APIKey("sk-1", label: "k", limits: Self.openAILimits)], clock: clock, learns: false)
        let transport = InMemoryTransport { request in
            if request.url.hasSuffix("fail") { throw SluiceError(.connectionRefused, "refused") }
            if request.url.hasSuffix("busy") { return RL.response(429) }
            return RL.response(500)
        }
        func send(_ path: String) async throws -> ClientResponse {
            try await middleware.intercept(ClientRequest(method: .post, url: "https://x/\(path)"), context: RL.context()) {
                request, _ in try await transport.send(request)
            }
        }
        _ = try await send("busy")
        var state = await middleware.store.state(of: RL.bucket("k"))
        #expect(state?.available[.tokens] == 6_000)
        #expect(state?.available[.requests] == 59)

        _ = try await send("error")
        state = await middleware.store.state(of: RL.bucket("k"))
        #expect(state?.available[.tokens] == 5_700)
        #expect(state?.available[.requests] == 58)

        await #expect(throws: SluiceError.self) { _ = try await send("fail") }
        state = await middleware.store.state(of: RL.bucket("k"))
        #expect(state?.available[.tokens] == 5_400)
        #expect(state?.available[.requests] == 57)
    }

    @Test("a refusal below the limiter that sent nothing (neverSent: load shed, a projected or passed deadline) refunds the whole reservation")
    func refundForRefusalsBelow() async throws {
        let clock = TestClock()
        let middleware = limiter([APIKey("sk-1", label: "k", limits: Self.openAILimits)], clock: clock, learns: false)
        let refusals: [SluiceError] = [
            .queueFull("concurrency permits", limit: 4, priority: .batch),
            ConcurrencyLimitMiddleware.projectedError(nil, wait: .seconds(3)),
            ConcurrencyLimitMiddleware.deadlineError(nil),
        ]
        for refusal in refusals {
            #expect(refusal.neverSent)
            await #expect(throws: SluiceError.self) {
                _ = try await middleware.intercept(ClientRequest(method: .post, url: "https://x/"), context: RL.context()) {
                    _, _ in throw refusal
                }
            }
            let state = await middleware.store.state(of: RL.bucket("k"))
            #expect(state?.available[.tokens] == 6_000)
            #expect(state?.available[.requests] == 60)
        }
        // The same code without the mark may have reached the provider: the charge stays.
        var marked = SluiceError.queueFull("concurrency permits", limit: 4, priority: .batch)
        marked.neverSent = false
        let unmarked = marked
        await #expect(throws: SluiceError.self) {
            _ = try await middleware.intercept(ClientRequest(method: .post, url: "https://x/"), context: RL.context()) {
                _, _ in throw unmarked
            }
        }
        #expect(await middleware.store.state(of: RL.bucket("k"))?.available[.requests] == 59)
    }

    @Test("OpenAI settlement keeps the admission charge, or charges the real usage when it is higher")
    func openAISettlement() async throws {
        let clock = TestClock()
        let middleware = limiter([APIKey("sk-1", label: "k", limits: Self.openAILimits)], clock: clock)
        let transport = InMemoryTransport { _ in RL.response(200) }
        let low = RL.context()
        let response = try await RL.send(middleware, transport, context: low)
        _ = try await response.body.collect(upTo: 1 << 10)
        low.usage.complete(with: Usage(inputTokens: 80, outputTokens: 20))
        #expect(await RL.available(middleware.store, RL.bucket("k"), .tokens) == 5_700)

        let high = RL.context(callID: 2)
        let highResponse = try await RL.send(middleware, transport, context: high)
        _ = try await highResponse.body.collect(upTo: 1 << 10)
        high.usage.complete(with: Usage(inputTokens: 150, outputTokens: 250))
        #expect(await RL.available(middleware.store, RL.bucket("k"), .tokens) == 5_700 - 400)
    }

    /// An Anthropic limiter for key "k" with ``anthropicLimits`` and no margin.
    func anthropicLimiter() -> RateLimitMiddleware {
        limiter([APIKey("sk-1", label: "k", limits: Self.anthropicLimits)], provider: .anthropic, clock: TestClock())
    }

    /// One Anthropic call reserving `input` and 200 output tokens: sent, its body read, its usage completed.
    func anthropicCall(
        _ middleware: RateLimitMiddleware, headers: HTTPHeaders = [:], input: Int, usage: Usage, callID: UInt64 = 1
    ) async throws {
        let transport = InMemoryTransport { _ in RL.response(200, headers) }
        let context = RL.context(provider: .anthropic, input: input, maxOutput: 200, callID: callID)
        let response = try await RL.send(middleware, transport, context: context)
        _ = try await response.body.collect(upTo: 1 << 10)
        context.usage.complete(with: usage)
    }

    @Test("Anthropic settlement refunds output tokens down to the real count and settles input to the real prompt")
    func anthropicSettlement() async throws {
        let middleware = anthropicLimiter()
        try await anthropicCall(middleware, input: 100, usage: Usage(inputTokens: 90, outputTokens: 30))
        let state = await middleware.store.state(of: RL.bucket("k"))
        #expect(state?.available[.outputTokens] == 1_170)  // 1200 - 30
        #expect(state?.available[.inputTokens] == 5_910)  // 6000 - 90
    }

    @Test("Anthropic settlement gives back the cache reads the input limit does not count; cache writes stay charged")
    func anthropicCacheReadsGivenBack() async throws {
        let middleware = anthropicLimiter()
        let usage = Usage(inputTokens: 1_000, outputTokens: 30, cachedInputTokens: 900, cacheCreationInputTokens: 50)
        try await anthropicCall(middleware, input: 1_000, usage: usage)
        #expect(await RL.available(middleware.store, RL.bucket("k"), .inputTokens) == 5_900)  // 6000 - (1000 - 900)
    }

    @Test("a reply whose input-tokens-remaining header lowered the bucket keeps its input charge: the reads are not credited twice")
    func anthropicCorrectionThenSettlement() async throws {
        let middleware = anthropicLimiter()
        let usage = Usage(inputTokens: 1_000, outputTokens: 30, cachedInputTokens: 900)
        // Someone else spent on the key: the provider has 2 000 left after counting this call's 100.
        try await anthropicCall(
            middleware, headers: ["anthropic-ratelimit-input-tokens-remaining": "2000"], input: 1_000, usage: usage)
        #expect(await RL.available(middleware.store, RL.bucket("k"), .inputTokens) == 2_000)
        // A header above the local level lowers nothing, and the next call's reads come back.
        try await anthropicCall(
            middleware, headers: ["anthropic-ratelimit-input-tokens-remaining": "5000"], input: 1_000, usage: usage,
            callID: 2)
        #expect(await RL.available(middleware.store, RL.bucket("k"), .inputTokens) == 1_900)
    }

    @Test("a stream cut short settles once: with the usage seen so far, or by the no-usage rule")
    func settlementWithoutFinalUsage() async throws {
        let clock = TestClock()
        let middleware = limiter([APIKey("sk-1", label: "k", limits: Self.anthropicLimits)], provider: .anthropic, clock: clock)
        let transport = InMemoryTransport { _ in RL.response(200, body: "data: partial") }

        let partial = RL.context(provider: .anthropic, input: 100, maxOutput: 200)
        let first = try await RL.send(middleware, transport, context: partial)
        partial.usage.update(Usage(inputTokens: 100, outputTokens: 12))
        first.body.discard()  // the consumer went away mid-stream
        #expect(await RL.available(middleware.store, RL.bucket("k"), .outputTokens) == 1_200 - 12)
        partial.usage.complete(with: Usage(inputTokens: 100, outputTokens: 50))  // too late: settled once
        #expect(await RL.available(middleware.store, RL.bucket("k"), .outputTokens) == 1_200 - 12)

        let none = RL.context(provider: .anthropic, input: 100, maxOutput: 200, callID: 2)
        _ = try await RL.send(middleware, transport, context: none)
        none.usage.complete(with: nil)  // failed without usage: the reservation stands
        #expect(await RL.available(middleware.store, RL.bucket("k"), .outputTokens) == 1_200 - 12 - 200)
    }

    @Test("rate-limit headers lower the local buckets and report it")
    func headerCorrection() async throws {
        let clock = TestClock()
        let events = EventRecorder()
        let middleware = limiter([APIKey("sk-1", label: "k", limits: Self.openAILimits)], clock: clock)
        let transport = InMemoryTransport { _ in
            RL.response(200, ["x-ratelimit-remaining-requests": "10", "x-ratelimit-remaining-tokens": "1000",
                              "x-ratelimit-reset-tokens": "50s"])
        }
        _ = try await RL.send(middleware, transport, context: RL.context(events: events, clock: clock))
        let state = await middleware.store.state(of: RL.bucket("k"))
        #expect(state?.available[.tokens] == 1_000)
        #expect(state?.available[.requests] == 10)
        #expect(events.events(ofKind: .rateLimitCorrected).map(\.keyID) == [KeyID(rawValue: "k")])
        // Headers that allow more than the local buckets hold lower nothing and report nothing.
        _ = try await RL.send(middleware, transport, context: RL.context(events: events, clock: clock))
        #expect(events.events(ofKind: .rateLimitCorrected).count == 1)
    }

    @Test("a 401 removes the key and the request goes again with another key; none left fails with noUsableKeys")
    func removesUnauthorizedKey() async throws {
        let clock = TestClock()
        let events = EventRecorder()
        let middleware = limiter(
            [APIKey("sk-bad", label: "bad", limits: Self.openAILimits), APIKey("sk-good", label: "good", limits: Self.openAILimits)],
            clock: clock)
        let transport = InMemoryTransport { request in
            RL.authorization(request) == "Bearer sk-bad" ? RL.response(401) : RL.response(200)
        }
        let seen = Recorder<ClientContext>()
        #expect(try await RL.send(middleware, transport, context: RL.context(events: events, clock: clock), seen: seen).status == 200)
        #expect(transport.requests.map(RL.authorization) == ["Bearer sk-bad", "Bearer sk-good"])
        #expect(seen.all.map(\.keyID) == [KeyID(rawValue: "bad"), KeyID(rawValue: "good")])
        #expect(middleware.pool.removedKeys == [.init(id: KeyID(rawValue: "bad"), reason: .authenticationFailed)])
        let removed = events.events(ofKind: .keyRemoved)
        #expect(removed.map(\.reason) == [SluiceError.Code.authenticationFailed.name])
        #expect(try await RL.send(middleware, transport, context: RL.context()).status == 200)
        #expect(RL.authorization(transport.requests[2]) == "Bearer sk-good")

        // With no other key the 401 is the answer.
        let single = limiter([APIKey("sk-bad", label: "bad", limits: Self.openAILimits)], clock: clock)
        #expect(try await RL.send(single, transport, context: RL.context()).status == 401)
        let error = await #expect(throws: SluiceError.self) { try await RL.send(single, transport, context: RL.context()) }
        #expect(error?.code == .noUsableKeys)
        #expect(error.map { !String(describing: $0).contains("sk-bad") } == true)
        #expect(single.pool.restore(KeyID(rawValue: "bad")))
        #expect(single.pool.activeKeyIDs == [KeyID(rawValue: "bad")])
    }

    @Test("a 429 insufficient_quota removes the key and leaves the error body readable")
    func removesKeyWithoutQuota() async throws {
        let clock = TestClock()
        let middleware = limiter(
            [APIKey("sk-a", label: "a", limits: Self.openAILimits), APIKey("sk-b", label: "b", limits: Self.openAILimits)],
            clock: clock)
        let body = #"{"error":{"type":"insufficient_quota","code":"insufficient_quota","message":"You exceeded your quota"}}"#
        let transport = InMemoryTransport { request in
            RL.authorization(request) == "Bearer sk-a" ? RL.response(429, body: body) : RL.response(200, body: "ok")
        }
        let response = try await RL.send(middleware, transport, context: RL.context())
        #expect(try await response.body.collect(upTo: 1 << 16) == Array("ok".utf8))
        #expect(middleware.pool.removedKeys.map(\.reason) == [.insufficientQuota])
        #expect(middleware.pool.activeKeyIDs == [KeyID(rawValue: "b")])

        // Every key out of quota: each leaves once, and the last answer comes back readable.
        let broke = limiter(
            [APIKey("sk-a", label: "a", limits: Self.openAILimits), APIKey("sk-b", label: "b", limits: Self.openAILimits)],
            clock: clock)
        let noQuota = InMemoryTransport { _ in RL.response(429, body: body) }
        let last = try await RL.send(broke, noQuota, context: RL.context())
        #expect(last.status == 429)
        #expect(try await last.body.collect(upTo: 1 << 16) == Array(body.utf8))
        #expect(noQuota.requests.count == 2)
        #expect(broke.pool.activeKeyIDs.isEmpty)
    }

    @Test("fail-fast per call throws rateLimitWouldWait instead of waiting; the deadline bounds waits")
    func failFastAndDeadline() async throws {
        let clock = TestClock()
        let middleware = limiter([APIKey("sk-1", label: "k", limits: RateLimits(requestsPerMinute: 60, requestBurst: 1))], clock: clock)
        let transport = InMemoryTransport { _ in RL.response(200) }
        _ = try await RL.send(middleware, transport, context: RL.context())

        var options = CallOptions()
        options.rateLimitWaitPolicy = .failFast
        let fast = await #expect(throws: SluiceError.self) { try await RL.send(middleware, transport, context: RL.context(options: options)) }
        #expect(fast?.code == .rateLimitWouldWait)

        let late = await #expect(throws: SluiceError.self) {
            try await RL.send(middleware, transport, context: RL.context(deadline: .milliseconds(500)))
        }
        #expect(late?.code == .rateLimitWaitExceedsDeadline)
        #expect(transport.requests.count == 1)
    }

    @Test("a request larger than every key's bucket fails at once with requestTooLarge")
    func requestTooLarge() async throws {
        let middleware = limiter([APIKey("sk-1", label: "k", limits: Self.openAILimits)], clock: TestClock())
        let transport = InMemoryTransport { _ in RL.response(200) }
        let error = await #expect(throws: SluiceError.self) {
            try await RL.send(middleware, transport, context: RL.context(input: 5_000, maxOutput: 1_001))
        }
        #expect(error?.code == .requestTooLarge)
        #expect(transport.requests.isEmpty)
    }

    @Test("a model with limits of its own spends its own buckets")
    func perModelLimits() async throws {
        let clock = TestClock()
        let key = APIKey(
            "sk-1", label: "k", limits: Self.openAILimits,
            modelLimits: ["big": RateLimits(requestsPerMinute: 10, tokensPerMinute: 1_000)])
        let middleware = limiter([key], clock: clock)
        let transport = InMemoryTransport { _ in RL.response(200) }
        _ = try await RL.send(middleware, transport, context: RL.context(model: "big"))
        _ = try await RL.send(middleware, transport, context: RL.context(model: "small"))
        #expect(await RL.available(middleware.store, RL.bucket("k", model: "big"), .tokens) == 700)
        #expect(await RL.available(middleware.store, RL.bucket("k"), .tokens) == 5_700)
    }

    @Test("a cancelled waiting call throws promptly and sends nothing")
    func cancelledWaiter() async throws {
        let clock = TestClock()
        let middleware = limiter([APIKey("sk-1", label: "k", limits: RateLimits(requestsPerMinute: 60, requestBurst: 1))], clock: clock)
        let transport = InMemoryTransport { _ in RL.response(200) }
        _ = try await RL.send(middleware, transport, context: RL.context())
        let waiter = Task { try await RL.send(middleware, transport, context: RL.context()) }
        await clock.waitForSleepers(1)
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(transport.requests.count == 1)
        #expect(await middleware.store.state(of: RL.bucket("k"))?.waiting == 0)
    }

    @Test("an API key's description, mirror and id never show the secret")
    func keyRedaction() {
        let key = APIKey("sk-very-secret-value", limits: Self.openAILimits)
        #expect(!String(describing: key).contains("sk-very"))
        #expect(!String(reflecting: key).contains("sk-very"))
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.contains("sk-very"))
        #expect(key.id.rawValue.hasPrefix("key-"))
    }
}
