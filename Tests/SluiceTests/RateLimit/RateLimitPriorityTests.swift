import Sluice
import SluiceTesting
import Testing

@Suite("Rate-limit priorities and load shedding", .timeLimit(.minutes(1)))
struct RateLimitPriorityTests {
    /// 60 requests a minute (one a second), bucket of one.
    let onePerSecond = RateLimits(requestsPerMinute: 60, requestBurst: 1)

    func request(
        _ priority: CallPriority, deadline: Duration? = nil, maxWaiting: Int? = nil
    ) -> RateLimitReservationRequest {
        var request = RL.request("k", limits: onePerSecond, cost: RL.requests(1), deadline: deadline)
        request.priority = priority
        request.maxWaiting = maxWaiting
        return request
    }

    /// A store whose one-request bucket was just spent, and a recorder for the waiters' outcomes.
    func spentStore() async throws -> (TestClock, InMemoryRateLimitStore, Recorder<String>) {
        let clock = TestClock()
        let store = InMemoryRateLimitStore(clock: clock)
        _ = try await store.reserve(request(.default))
        return (clock, store, Recorder<String>())
    }

    /// Starts a waiter that records `name` when admitted (or `name!code` when it fails), and waits
    /// until the store counts `queued` waiters.
    func start(
        _ name: String, _ request: RateLimitReservationRequest, store: InMemoryRateLimitStore, order: Recorder<String>,
        queued: Int
    ) async -> Task<Void, Never> {
        let task = Task {
            do {
                _ = try await store.reserve(request)
                order.append(name)
            } catch let error as SluiceError {
                order.append("\(name)!\(error.code)")
            } catch {
                order.append("\(name)!\(error)")
            }
        }
        await RL.eventually("\(name) queued") { await RL.waiting(store, RL.bucket("k")) == queued }
        return task
    }

    @Test("waiting requests are admitted by priority, and in arrival order within a priority")
    func priorityOrder() async throws {
        let (clock, store, order) = try await spentStore()
        var tasks: [Task<Void, Never>] = []
        let arrivals: [(String, CallPriority)] = [
            ("b0", .batch), ("b1", .batch), ("i0", .interactive), ("d0", .default), ("i1", .interactive),
        ]
        for (index, (name, priority)) in arrivals.enumerated() {
            tasks.append(await start(name, request(priority), store: store, order: order, queued: index + 1))
        }
        for second in 1...arrivals.count {
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(1))
            await RL.eventually("admission \(second)") { order.all.count == second }
        }
        for task in tasks { await task.value }
        #expect(order.all == ["i0", "i1", "d0", "b0", "b1"])
    }

    @Test("a higher-priority request arriving when budget is there is admitted at once past lower-priority waiters")
    func jumpsWhenBudgetIsThere() async throws {
        let clock = TestClock()
        let store = InMemoryRateLimitStore(clock: clock)
        // Two tokens a second, bucket of 10: a batch waiter needing 10 waits while 2 are there.
        let limits = RateLimits(tokensPerMinute: 120, tokenBurst: 10)
        _ = try await store.reserve(RL.request("k", limits: limits, cost: RL.tokens(10)))
        clock.advance(by: .seconds(1))
        var big = RL.request("k", limits: limits, cost: RL.tokens(10))
        big.priority = .batch
        let order = Recorder<String>()
        let batch = await start("batch", big, store: store, order: order, queued: 1)
        var small = RL.request("k", limits: limits, cost: RL.tokens(2))
        small.priority = .interactive
        let reservation = try await store.reserve(small)
        #expect(!reservation.queued, "admitted at once, without waiting behind the batch request")
        #expect(clock.now == .seconds(1))
        #expect(await RL.waiting(store, RL.bucket("k")) == 1, "the batch request still waits")
        // A request of the batch's priority queues behind it rather than taking the budget.
        var same = RL.request("k", limits: limits, cost: RL.tokens(1))
        same.priority = .batch
        same.maxWaiting = 1
        let refused = await #expect(throws: SluiceError.self) { _ = try await store.reserve(same) }
        #expect(refused?.code == .loadShed)
        batch.cancel()
        await batch.value
        #expect(order.all.count == 1 && order.all[0].hasPrefix("batch!"))
        #expect(await RL.waiting(store, RL.bucket("k")) == 0)
    }

    @Test(
        "a request whose deadline its queue position cannot meet fails at once; one of higher priority is projected past lower waiters"
    )
    func deadlineFromPosition() async throws {
        let (clock, store, order) = try await spentStore()
        var tasks: [Task<Void, Never>] = []
        for index in 0..<5 {
            tasks.append(await start("b\(index)", request(.batch), store: store, order: order, queued: index + 1))
        }
        // Behind five batch waiters another batch request would be admitted at 6 s: its 3 s deadline fails now.
        let error = await #expect(throws: SluiceError.self) {
            _ = try await store.reserve(request(.batch, deadline: .seconds(3)))
        }
        #expect(error?.code == .rateLimitWaitExceedsDeadline)
        #expect(clock.now == .zero, "no time passed: the refusal came without a wait")
        #expect(await RL.waiting(store, RL.bucket("k")) == 5)
        // An interactive request with the same deadline goes ahead of them, admitted at 1 s.
        tasks.append(
            await start("i0", request(.interactive, deadline: .seconds(3)), store: store, order: order, queued: 6))
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        await RL.eventually("the interactive request admitted") { order.all == ["i0"] }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        #expect(await RL.waiting(store, RL.bucket("k")) == 0)
    }

    @Test("a waiter pushed past its deadline by higher-priority arrivals fails at once")
    func pushedPastDeadline() async throws {
        let (clock, store, order) = try await spentStore()
        // Admitted at 1 s; its deadline is 2 s.
        let batch = await start("b0", request(.batch, deadline: .seconds(2)), store: store, order: order, queued: 1)
        let first = await start("i0", request(.interactive), store: store, order: order, queued: 2)
        #expect(order.all.isEmpty, "one request ahead: the batch waiter is now projected at 2 s, still in time")
        let second = Task { _ = try? await store.reserve(request(.interactive)) }
        await RL.eventually("the batch waiter refused") { order.all == ["b0!rate_limit_wait_exceeds_deadline"] }
        #expect(clock.now == .zero)
        await batch.value
        first.cancel()
        second.cancel()
        await first.value
        _ = await second.value
        #expect(await RL.waiting(store, RL.bucket("k")) == 0)
    }

    @Test("a full queue refuses a request of no higher priority, and a higher one displaces the latest lowest waiter")
    func boundedQueue() async throws {
        let (clock, store, order) = try await spentStore()
        let b0 = await start("b0", request(.batch, maxWaiting: 2), store: store, order: order, queued: 1)
        let b1 = await start("b1", request(.batch, maxWaiting: 2), store: store, order: order, queued: 2)
        let refused = await #expect(throws: SluiceError.self) {
            _ = try await store.reserve(request(.batch, maxWaiting: 2))
        }
        #expect(refused?.code == .loadShed)
        // An interactive arrival takes the latest batch waiter's place.
        let i0 = await start("i0", request(.interactive, maxWaiting: 2), store: store, order: order, queued: 2)
        await RL.eventually("b1 shed") { order.all == ["b1!load_shed"] }
        let i1 = await start("i1", request(.interactive, maxWaiting: 2), store: store, order: order, queued: 2)
        await RL.eventually("b0 shed") { order.all == ["b1!load_shed", "b0!load_shed"] }
        let full = await #expect(throws: SluiceError.self) {
            _ = try await store.reserve(request(.interactive, maxWaiting: 2))
        }
        #expect(full?.code == .loadShed)
        for second in 1...2 {
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(1))
            await RL.eventually("admission \(second)") { order.all.count == 2 + second }
        }
        for task in [b0, b1, i0, i1] { await task.value }
        #expect(order.all == ["b1!load_shed", "b0!load_shed", "i0", "i1"])
    }

    @Test("a cancelled waiter leaves the bounded queue and frees its place")
    func cancellationFreesPlace() async throws {
        let (clock, store, order) = try await spentStore()
        let first = await start("first", request(.batch, maxWaiting: 1), store: store, order: order, queued: 1)
        first.cancel()
        await first.value
        #expect(order.all.count == 1 && order.all[0].hasPrefix("first!"))
        #expect(await RL.waiting(store, RL.bucket("k")) == 0)
        let second = await start("second", request(.batch, maxWaiting: 1), store: store, order: order, queued: 1)
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        await second.value
        #expect(order.all.last == "second")
    }

    @Test("the middleware passes the call's priority and the configured bound, and reports a shed call")
    func middlewareSheds() async throws {
        let clock = TestClock()
        var configuration = RateLimitMiddleware.Configuration(apiKey: "sk-test", limits: onePerSecond)
        configuration.queue = try AdmissionQueuePolicy(maxWaiting: 0)
        configuration.learnsLimitsFromHeaders = false
        let middleware = RateLimitMiddleware(configuration: configuration, provider: .openAI, clock: clock) { _, _ in }
        let transport = InMemoryTransport { _ in RL.response(200) }
        let recorder = EventRecorder()
        _ = try await RL.send(middleware, transport, context: RL.context(input: 1, maxOutput: 1))
        var options = CallOptions()
        options.priority = .interactive
        let error = await #expect(throws: SluiceError.self) {
            _ = try await RL.send(
                middleware, transport,
                context: RL.context(input: 1, maxOutput: 1, options: options, events: recorder, clock: clock))
        }
        #expect(error?.code == .loadShed)
        let shed = recorder.events.filter { $0.kind == .loadShed }
        #expect(shed.count == 1)
        #expect(shed.first?.reason == "rate_limit")
        #expect(shed.first?.text == "interactive")
        #expect(shed.first?.error?.code == .loadShed)
        #expect(transport.requests.count == 1)
    }

    @Test("a negative queue bound is a configuration error at construction")
    func configurationError() {
        let error = #expect(throws: SluiceError.self) { try AdmissionQueuePolicy(maxWaiting: -1) }
        #expect(error?.code == .invalidConfiguration)
        #expect((try? AdmissionQueuePolicy(maxWaiting: 0))?.maxWaiting == 0)
        #expect(AdmissionQueuePolicy.unbounded.maxWaiting == nil)
    }
}
