import Sluice
import SluiceTesting
import Testing

/// A waiter's deadline and maximum wait hold for as long as it waits, not only when it arrives: a
/// cooldown or a server correction that moves admission past them fails the waiter at once.
@Suite("Rate-limit wait limits while waiting", .timeLimit(.minutes(1)))
struct RateLimitWaitLimitTests {
    /// 60 requests a minute (one a second), bucket of one.
    let onePerSecond = RateLimits(requestsPerMinute: 60, requestBurst: 1)

    /// A store whose bucket `k` is empty, with one waiter queued for the next second.
    func queuedWaiter(
        _ clock: TestClock, deadline: Duration? = nil, maxWait: Duration? = nil
    ) async throws -> (InMemoryRateLimitStore, Task<RateLimitReservation, any Error>) {
        let store = InMemoryRateLimitStore(clock: clock)
        _ = try await store.reserve(RL.request("k", limits: onePerSecond, cost: RL.requests(1)))
        let limits = onePerSecond
        let waiter = Task {
            try await store.reserve(RL.request("k", limits: limits, cost: RL.requests(1), deadline: deadline, maxWait: maxWait))
        }
        await RL.eventually("waiter queued") { await RL.waiting(store, RL.bucket("k")) == 1 }
        return (store, waiter)
    }

    @Test("a cooldown past a waiter's maximum wait fails it at once with rateLimitWouldWait")
    func cooldownPastMaxWait() async throws {
        let clock = TestClock()
        let (store, waiter) = try await queuedWaiter(clock, maxWait: .seconds(5))
        await store.cooldown(RL.bucket("k"), until: .seconds(30))
        let error = await #expect(throws: SluiceError.self) { try await waiter.value }
        #expect(error?.code == .rateLimitWouldWait)
        #expect(await RL.waiting(store, RL.bucket("k")) == 0)
        #expect(clock.now == .zero)
    }

    @Test("a cooldown past a waiter's deadline fails it at once with rateLimitWaitExceedsDeadline")
    func cooldownPastDeadline() async throws {
        let clock = TestClock()
        let (store, waiter) = try await queuedWaiter(clock, deadline: .seconds(10))
        await store.cooldown(RL.bucket("k"), until: .seconds(20))
        let error = await #expect(throws: SluiceError.self) { try await waiter.value }
        #expect(error?.code == .rateLimitWaitExceedsDeadline)
        #expect(clock.now == .zero)
    }

    @Test("a cooldown within the limits keeps the waiter, admitted when it ends")
    func cooldownWithinLimits() async throws {
        let clock = TestClock()
        let (store, waiter) = try await queuedWaiter(clock, deadline: .seconds(10), maxWait: .seconds(5))
        await store.cooldown(RL.bucket("k"), until: .seconds(4))
        #expect(await RL.waiting(store, RL.bucket("k")) == 1)
        await clock.waitForSleepers(1)
        clock.advance(to: .seconds(4))
        let reservation = try await waiter.value
        #expect(reservation.queued)
    }

    @Test("a waiter without limits waits out any cooldown")
    func noLimits() async throws {
        let clock = TestClock()
        let (store, waiter) = try await queuedWaiter(clock)
        await store.cooldown(RL.bucket("k"), until: .seconds(3600))
        #expect(await RL.waiting(store, RL.bucket("k")) == 1)
        waiter.cancel()
        _ = try? await waiter.value
    }

    @Test("a server correction that empties the bucket past a waiter's maximum wait fails it at once")
    func correctionPastMaxWait() async throws {
        let clock = TestClock()
        let store = InMemoryRateLimitStore(clock: clock)
        // 600 tokens a minute, bucket of 100: one reservation of 60 leaves 40; a waiter needs 50.
        let limits = RateLimits(tokensPerMinute: 600, tokenBurst: 100)
        let first = try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(60)))
        let waiter = Task {
            try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(50), maxWait: .seconds(2)))
        }
        await RL.eventually("waiter queued") { await RL.waiting(store, RL.bucket("k")) == 1 }
        // The provider says none is left: 50 tokens then take 5 s to refill, past the 2 s allowed.
        let lowered = await store.sync(first, with: RateLimitObservation(remaining: .init(tokens: 0)))
        #expect(lowered)
        let error = await #expect(throws: SluiceError.self) { try await waiter.value }
        #expect(error?.code == .rateLimitWouldWait)
    }

    @Test("only the waiters pushed past their limits fail; the others keep their place in order")
    func onlyOverdueFail() async throws {
        let clock = TestClock()
        let store = InMemoryRateLimitStore(clock: clock)
        let limits = onePerSecond
        _ = try await store.reserve(RL.request("k", limits: limits, cost: RL.requests(1)))
        let patient = Task { try await store.reserve(RL.request("k", limits: limits, cost: RL.requests(1))) }
        await RL.eventually { await RL.waiting(store, RL.bucket("k")) == 1 }
        let hurried = Task {
            try await store.reserve(RL.request("k", limits: limits, cost: RL.requests(1), maxWait: .seconds(5)))
        }
        await RL.eventually { await RL.waiting(store, RL.bucket("k")) == 2 }
        await store.cooldown(RL.bucket("k"), until: .seconds(10))
        let error = await #expect(throws: SluiceError.self) { try await hurried.value }
        #expect(error?.code == .rateLimitWouldWait)
        #expect(await RL.waiting(store, RL.bucket("k")) == 1)
        await clock.waitForSleepers(1)
        clock.advance(to: .seconds(10))
        #expect(try await patient.value.queued)
    }
}

@Suite("Rate-limit cooldown cap")
struct RateLimitCooldownCapTests {
    @Test(
        "a 429's absurd retry-after cools the key for at most maxCooldown",
        arguments: [
            ("retry-after", "1e300", Duration.seconds(60)), ("retry-after-ms", "1e300", .seconds(60)),
            ("retry-after", "99999999999999999999999999", .seconds(60)), ("retry-after", "86400", .seconds(60)),
            ("retry-after", "7", .seconds(7)),
        ] as [(String, String, Duration)])
    func cooldownCapped(name: String, value: String, expected: Duration) async throws {
        let clock = TestClock()
        let events = EventRecorder()
        let configuration = RateLimitMiddleware.Configuration(
            keys: [APIKey("sk-1", label: "k", limits: RateLimits(requestsPerMinute: 60))], safetyMargin: .none)
        let middleware = RateLimitMiddleware(configuration: configuration, adapter: OpenAIAdapter(), clock: clock)
        let transport = InMemoryTransport { _ in RL.response(429, HTTPHeaders([(name, value)])) }
        let response = try await RL.send(middleware, transport, context: RL.context(events: events, clock: clock))
        #expect(response.status == 429)
        #expect(await middleware.store.state(of: RL.bucket("k"))?.cooldownUntil == expected)
        #expect(events.events(ofKind: .cooldownStarted).map(\.delay) == [expected])
    }

    @Test("maxCooldown is configurable and never negative")
    func configurable() {
        var configuration = RateLimitMiddleware.Configuration(apiKey: "sk-1", limits: RateLimits(requestsPerMinute: 60))
        #expect(configuration.maxCooldown == .seconds(60))
        configuration.maxCooldown = .seconds(5)
        #expect(configuration.maxCooldown == .seconds(5))
        configuration.maxCooldown = .seconds(-5)
        #expect(configuration.maxCooldown == .zero)
    }
}
