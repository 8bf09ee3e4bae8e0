import Sluice
import SluiceTesting
import Testing

@Suite("InMemoryRateLimitStore")
struct InMemoryRateLimitStoreTests {
    /// 60 requests a minute (one a second), bucket of one.
    let onePerSecond = RateLimits(requestsPerMinute: 60, requestBurst: 1)
    /// 600 tokens a minute (10 a second), bucket of 100.
    let tenTokensPerSecond = RateLimits(tokensPerMinute: 600, tokenBurst: 100)

    @Test("admits at once while the bucket holds the cost")
    func admitsAtOnce() async throws {
        let clock = TestClock()
        let store = InMemoryRateLimitStore(clock: clock)
        let reservation = try await store.reserve(RL.request("k", limits: tenTokensPerSecond, cost: RL.tokens(60)))
        #expect(reservation.cost.tokens == 60)
        #expect(await RL.available(store, RL.bucket("k"), .tokens) == 40)
        #expect(clock.sleeperCount == 0)
    }

    @Test("waiters are admitted in arrival order, each when the bucket has refilled for it")
    func fifoOrder() async throws {
        let clock = TestClock()
        let store = InMemoryRateLimitStore(clock: clock)
        let limits = onePerSecond
        _ = try await store.reserve(RL.request("k", limits: limits, cost: RL.requests(1)))
        let order = Recorder<Int>()
        var tasks: [Task<Void, any Error>] = []
        for index in 0..<3 {
            tasks.append(Task {
                _ = try await store.reserve(RL.request("k", limits: limits, cost: RL.requests(1)))
                order.append(index)
            })
            await RL.eventually("waiter \(index) queued") { await RL.waiting(store, RL.bucket("k")) == index + 1 }
        }
        for second in 1...3 {
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(1))
            await RL.eventually("admission \(second)") { order.all.count == second }
        }
        for task in tasks { try await task.value }
        #expect(order.all == [0, 1, 2])
    }

    @Test("a small request never overtakes a larger one queued before it")
    func noOvertaking() async throws {
        let clock = TestClock()
        let store = InMemoryRateLimitStore(clock: clock)
        let limits = tenTokensPerSecond
        _ = try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(100)))
        let order = Recorder<String>()
        let big = Task {
            _ = try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(100)))
            order.append("big")
        }
        await RL.eventually { await RL.waiting(store, RL.bucket("k")) == 1 }
        let small = Task {
            _ = try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(10)))
            order.append("small")
        }
        await RL.eventually { await RL.waiting(store, RL.bucket("k")) == 2 }
        clock.advance(by: .seconds(1))  // 10 tokens: enough for the small one, not the big one
        for _ in 0..<100 { await Task.yield() }
        #expect(order.all.isEmpty)
        await clock.waitForSleepers(1)
        clock.advance(to: .seconds(10))
        await RL.eventually { order.all == ["big"] }
        await clock.waitForSleepers(1)
        clock.advance(to: .seconds(11))
        try await big.value
        try await small.value
        #expect(order.all == ["big", "small"])
    }

    @Test("cancelling a waiter removes it from the queue and throws at once; the next moves up")
    func cancellation() async throws {
        let clock = TestClock()
        let store = InMemoryRateLimitStore(clock: clock)
        let limits = tenTokensPerSecond
        _ = try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(100)))
        let big = Task { try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(100))) }
        await RL.eventually { await RL.waiting(store, RL.bucket("k")) == 1 }
        let small = Task { try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(10))) }
        await RL.eventually { await RL.waiting(store, RL.bucket("k")) == 2 }

        big.cancel()
        await #expect(throws: CancellationError.self) { try await big.value }
        #expect(await RL.waiting(store, RL.bucket("k")) == 1)
        #expect(clock.now == .zero)

        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        let reservation = try await small.value
        #expect(reservation.admittedAt == .seconds(1))
    }

    @Test("a cost larger than the bucket fails at once with requestTooLarge")
    func neverFits() async throws {
        let store = InMemoryRateLimitStore(clock: TestClock())
        let error = await #expect(throws: SluiceError.self) {
            try await store.reserve(RL.request("k", limits: tenTokensPerSecond, cost: RL.tokens(101)))
        }
        #expect(error?.code == .requestTooLarge)
        #expect(error?.message.contains("101") == true)
    }

    @Test("a projected wait past the deadline fails at once; one within it waits")
    func deadline() async throws {
        let clock = TestClock()
        let store = InMemoryRateLimitStore(clock: clock)
        let limits = tenTokensPerSecond
        _ = try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(100)))
        let error = await #expect(throws: SluiceError.self) {
            try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(50), deadline: .seconds(4)))
        }
        #expect(error?.code == .rateLimitWaitExceedsDeadline)
        #expect(await RL.waiting(store, RL.bucket("k")) == 0)

        let waiter = Task { try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(50), deadline: .seconds(6))) }
        await clock.waitForSleepers(1)
        #expect(clock.nextDeadline == .seconds(5))
        clock.advance(by: .seconds(5))
        #expect(try await waiter.value.admittedAt == .seconds(5))
    }

    @Test("fail-fast and a maximum wait refuse to wait with rateLimitWouldWait")
    func failFast() async throws {
        let clock = TestClock()
        let store = InMemoryRateLimitStore(clock: clock)
        let limits = tenTokensPerSecond
        _ = try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(95)))
        // 5 tokens left: 5 fit now even when failing fast.
        _ = try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(5), maxWait: .zero))
        let error = await #expect(throws: SluiceError.self) {
            try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(20), maxWait: .zero))
        }
        #expect(error?.code == .rateLimitWouldWait)
        let bounded = await #expect(throws: SluiceError.self) {
            try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(20), maxWait: .seconds(1)))
        }
        #expect(bounded?.code == .rateLimitWouldWait)
        let waiter = Task { try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(20), maxWait: .seconds(3))) }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(2))
        #expect(try await waiter.value.admittedAt == .seconds(2))
    }

    @Test("a cooldown pauses every waiter and new arrival until it ends")
    func cooldownPausesAll() async throws {
        let clock = TestClock()
        let store = InMemoryRateLimitStore(clock: clock)
        let limits = RateLimits(requestsPerMinute: 600, requestBurst: 2)  // 10 a second
        _ = try await store.reserve(RL.request("k", limits: limits, cost: RL.requests(2)))
        await store.cooldown(RL.bucket("k"), until: .seconds(30))
        let admitted = Recorder<Duration>()
        var tasks: [Task<Void, any Error>] = []
        for index in 0..<3 {
            tasks.append(Task {
                let reservation = try await store.reserve(RL.request("k", limits: limits, cost: RL.requests(1)))
                admitted.append(reservation.admittedAt)
            })
            await RL.eventually { await RL.waiting(store, RL.bucket("k")) == index + 1 }
        }
        clock.advance(by: .seconds(10))  // the bucket is full again, but the cooldown holds
        for _ in 0..<100 { await Task.yield() }
        #expect(admitted.all.isEmpty)
        #expect(await store.state(of: RL.bucket("k"))?.cooldownUntil == .seconds(30))
        await clock.waitForSleepers(1)
        clock.advance(to: .seconds(30))
        await RL.eventually { admitted.all.count == 2 }
        #expect(admitted.all == [.seconds(30), .seconds(30)])
        await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(100))
        for task in tasks { try await task.value }
        #expect(admitted.all.last == .milliseconds(30_100))
    }

    @Test("a refund admits waiting requests without the clock moving")
    func refundWakesWaiters() async throws {
        let clock = TestClock()
        let store = InMemoryRateLimitStore(clock: clock)
        let limits = tenTokensPerSecond
        let first = try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(100)))
        let waiter = Task { try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(50))) }
        await RL.eventually { await RL.waiting(store, RL.bucket("k")) == 1 }
        store.settle(first, charge: first.cost.charging(TokenCharge(input: 40, output: 0)))
        #expect(try await waiter.value.admittedAt == .zero)
        #expect(await RL.available(store, RL.bucket("k"), .tokens) == 10)
    }

    @Test("headers lower the buckets to what the provider has left plus the refill since, never counting a later charge twice, never raise them")
    func headerCorrection() async throws {
        let clock = TestClock()
        let store = InMemoryRateLimitStore(clock: clock)
        let limits = tenTokensPerSecond
        let first = try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(10)))  // 90 left
        _ = try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(20)))  // 70 left, after `first`
        clock.advance(by: .seconds(1))  // 80 locally

        // The provider processed the later call first: its 70 counts both calls. 70 + 10 refilled is
        // what the bucket holds; subtracting the later 20 again would waste them.
        let doubleCounted = await store.sync(first, with: RateLimitObservation(remaining: .init(tokens: 70)))
        #expect(!doubleCounted)
        #expect(await RL.available(store, RL.bucket("k"), .tokens) == 80)

        // The provider had 60 left after `first` (another process used the key): 60 + 10 refilled = 70.
        let lowered = await store.sync(first, with: RateLimitObservation(remaining: .init(tokens: 60)))
        #expect(lowered)
        #expect(await RL.available(store, RL.bucket("k"), .tokens) == 70)

        // A report of more than the local model holds changes nothing.
        let raised = await store.sync(first, with: RateLimitObservation(remaining: .init(tokens: 100)))
        #expect(!raised)
        #expect(await RL.available(store, RL.bucket("k"), .tokens) == 70)
    }

    @Test("the request goes to the key that admits it soonest, else the one with most headroom")
    func keyChoice() async throws {
        let clock = TestClock()
        let store = InMemoryRateLimitStore(clock: clock)
        let limits = tenTokensPerSecond
        func request(_ cost: Int) -> RateLimitReservationRequest {
            RateLimitReservationRequest(
                candidates: [
                    RateLimitCandidate(bucket: RL.bucket("a"), limits: limits),
                    RateLimitCandidate(bucket: RL.bucket("b"), limits: limits),
                ],
                cost: RL.tokens(cost), safetyMargin: .none)
        }
        #expect(try await store.reserve(request(30)).bucket == RL.bucket("a"))  // tie: the first
        #expect(try await store.reserve(request(30)).bucket == RL.bucket("b"))  // b has more headroom
        #expect(try await store.reserve(request(60)).bucket == RL.bucket("a"))  // a: 70 left, b: 70 left
        #expect(try await store.reserve(request(60)).bucket == RL.bucket("b"))  // only b holds 60 now
        // Neither holds 50: a (10 left) and b (10 left) tie at 4 s; a is first.
        let waiter = Task { try await store.reserve(request(50)) }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(4))
        #expect(try await waiter.value.bucket == RL.bucket("a"))
    }

    @Test("the safety margin keeps headroom at admission but never blocks a request that fits a full bucket")
    func safetyMargin() async throws {
        let clock = TestClock()
        let store = InMemoryRateLimitStore(clock: clock)
        let limits = RateLimits(tokensPerMinute: 6_000)  // 100 a second, capacity 6000; margin 250 ms = 25
        func request(_ cost: Int) -> RateLimitReservationRequest {
            RateLimitReservationRequest(
                candidates: [RateLimitCandidate(bucket: RL.bucket("k"), limits: limits)], cost: RL.tokens(cost),
                maxWait: .zero, safetyMargin: .default)
        }
        _ = try await store.reserve(request(6_000))  // fits a full bucket despite the margin
        clock.advance(by: .seconds(1))  // 100 tokens
        await #expect(throws: SluiceError.self) { try await store.reserve(request(100)) }  // needs 100 + 25
        clock.advance(by: .milliseconds(250))  // 125
        _ = try await store.reserve(request(100))
    }
}
