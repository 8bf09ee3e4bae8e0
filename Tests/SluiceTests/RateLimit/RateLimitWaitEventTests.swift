import Sluice
import SluiceTesting
import Synchronization
import Testing

/// What the limiter reports as a wait begins and as a cooldown ends.
@Suite("Rate-limit wait notices and cooldown events")
struct RateLimitWaitEventTests {
    @Test("the store reports a wait as it begins: where, the projected delay, and which budget is short")
    func waitNotice() async throws {
        let clock = TestClock()
        let store = InMemoryRateLimitStore(clock: clock)
        let limits = RateLimits(requestsPerMinute: 60, tokensPerMinute: 600, requestBurst: 1, tokenBurst: 100)
        _ = try await store.reserve(RL.request("k", limits: limits, cost: RL.requests(1)))

        // Short of requests: the next one is a second away (60 a minute).
        let notices = Recorder<RateLimitWaitNotice>()
        var request = RL.request("k", limits: limits, cost: RL.requests(1))
        request.onWait = { notices.append($0) }
        let waiter = Task { [request] in try await store.reserve(request) }
        await clock.waitForSleepers(1)
        #expect(notices.all == [RateLimitWaitNotice(bucket: RL.bucket("k"), delay: .seconds(1), reason: .requests)])
        clock.advance(by: .seconds(1))
        _ = try await waiter.value

        // Short of tokens (10 a second; 100 wanted, the bucket near empty after the first 100).
        clock.advance(by: .seconds(60))
        _ = try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(100)))
        clock.advance(by: .seconds(60))
        _ = try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(100)))
        var tokens = RL.request("k", limits: limits, cost: RL.tokens(100))
        tokens.onWait = { notices.append($0) }
        let tokenWaiter = Task { [tokens] in try await store.reserve(tokens) }
        await clock.waitForSleepers(1)
        #expect(notices.all.last?.reason == .tokens)
        #expect(notices.all.last?.delay == .seconds(10))
        clock.advance(by: .seconds(10))
        _ = try await tokenWaiter.value

        // A cooldown longer than any refill: the reason is the cooldown. No notice when admitted at once.
        clock.advance(by: .seconds(60))
        await store.cooldown(RL.bucket("k"), until: clock.now + .seconds(30))
        var cooled = RL.request("k", limits: limits, cost: RL.requests(1))
        cooled.onWait = { notices.append($0) }
        let cooledWaiter = Task { [cooled] in try await store.reserve(cooled) }
        await clock.waitForSleepers(1)
        #expect(notices.all.last?.reason == .cooldown)
        #expect(notices.all.last?.delay == .seconds(30))
        clock.advance(by: .seconds(30))
        _ = try await cooledWaiter.value
        let count = notices.all.count
        clock.advance(by: .seconds(60))
        var immediate = RL.request("k", limits: limits, cost: RL.requests(1))
        immediate.onWait = { notices.append($0) }
        _ = try await store.reserve(immediate)
        #expect(notices.all.count == count)
    }

    @Test("through the middleware: wait_started as the wait begins with delay and reason, wait_ended after it")
    func waitEvents() async throws {
        let clock = TestClock()
        let recorder = EventRecorder()
        let middleware = RateLimitMiddleware(
            configuration: .init(
                keys: [APIKey("sk-1", label: "k", limits: RateLimits(requestsPerMinute: 60, requestBurst: 1))],
                safetyMargin: .none),
            adapter: OpenAIAdapter(), clock: clock)
        let transport = InMemoryTransport { _ in RL.response(200) }
        var context = RL.context()
        context.events = EventEmitter(handlers: [recorder], clock: clock)
        _ = try await RL.send(middleware, transport, context: context)
        #expect(recorder.events(ofKind: .rateLimitWaitStarted).isEmpty)

        let second = Task { [context] in try await RL.send(middleware, transport, context: context) }
        await clock.waitForSleepers(1)
        let started = try #require(recorder.events(ofKind: .rateLimitWaitStarted).first)
        #expect(started.delay == .seconds(1))
        #expect(started.reason == "requests")
        #expect(started.keyID == KeyID(rawValue: "k"))
        #expect(recorder.events(ofKind: .rateLimitWaitEnded).isEmpty)
        clock.advance(by: .seconds(1))
        _ = try await second.value
        #expect(recorder.events(ofKind: .rateLimitWaitEnded).first?.waited == .seconds(1))
    }

    @Test("a 429 with retry-after reports cooldown_started, then cooldown_ended when it is over")
    func cooldownEnded() async throws {
        let clock = TestClock()
        let recorder = EventRecorder()
        let configuration = RateLimitMiddleware.Configuration(
            keys: [APIKey("sk-1", label: "k", limits: RateLimits(requestsPerMinute: 600))], safetyMargin: .none)
        let middleware = RateLimitMiddleware(configuration: configuration, adapter: OpenAIAdapter(), clock: clock)
        let transport = InMemoryTransport { _ in RL.response(429, ["retry-after": "2"]) }
        var context = RL.context()
        context.events = EventEmitter(handlers: [recorder], clock: clock)
        #expect(try await RL.send(middleware, transport, context: context).status == 429)
        #expect(recorder.events(ofKind: .cooldownStarted).first?.delay == .seconds(2))
        #expect(recorder.events(ofKind: .cooldownEnded).isEmpty)
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(2))
        await RL.eventually("cooldown_ended") { !recorder.events(ofKind: .cooldownEnded).isEmpty }
        let ended = recorder.events(ofKind: .cooldownEnded)
        #expect(ended.map(\.delay) == [.seconds(2)])
        #expect(ended.map(\.keyID) == [KeyID(rawValue: "k")])
    }
}
