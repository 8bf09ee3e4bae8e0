import Sluice
import SluiceTesting
import Synchronization
import Testing

@Suite("ConcurrencyLimitMiddleware", .timeLimit(.minutes(1)))
struct ConcurrencyLimitMiddlewareTests {
    let keyA = KeyID(rawValue: "key-a")
    let keyB = KeyID(rawValue: "key-b")

    /// A transport that answers 200 with a small body, counted by `probe`.
    func transport(_ probe: InFlightProbe, yields: Int = 0) -> InMemoryTransport {
        InMemoryTransport { _ in
            for _ in 0..<yields { await Task.yield() }
            let response = ClientResponse(status: 200, body: ResponseBody(bytes: [1, 2, 3]))
            probe.track(response.body)
            return response
        }
    }

    @Test(
        "with 200 concurrent requests, the transport never has more in flight than the limits allow",
        arguments: [
            ConcurrencyLimits(maxConcurrentRequests: 4),
            ConcurrencyLimits(maxConcurrentRequestsPerKey: 3),
            ConcurrencyLimits(maxConcurrentRequests: 5, maxConcurrentRequestsPerKey: 4),
        ])
    func limitRespected(limits: ConcurrencyLimits) async throws {
        let probe = InFlightProbe()
        let transport = transport(probe, yields: 3)
        let limiter = ConcurrencyLimitMiddleware(limits: limits, clock: TestClock())
        let limit = min(limits.clientLimit ?? .max, limits.limit(for: keyA) ?? .max)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let response = try await limiter.send(limiterRequest("r\(index)"), to: transport)
                    for _ in 0..<5 { await Task.yield() }  // hold the body a while after the head
                    _ = try await response.body.collect(upTo: 100)
                }
            }
            try await group.waitForAll()
        }
        #expect(transport.requests.count == 200)
        #expect(probe.peak <= limit)
        #expect(probe.peak == limit, "200 requests that yield should fill every permit at some point")
        #expect(limiter.gauges == ConcurrencyGauges())
    }

    @Test("waiters are admitted in the order they arrived, across keys, when the client-wide pool is full")
    func fifoOrder() async throws {
        let probe = InFlightProbe()
        let transport = transport(probe)
        let limiter = ConcurrencyLimitMiddleware(
            limits: ConcurrencyLimits(maxConcurrentRequests: 1), clock: TestClock())
        let holder = try await limiter.send(limiterRequest("holder"), to: transport)

        var tasks: [Task<Void, any Error>] = []
        for index in 0..<6 {
            let key = index.isMultiple(of: 2) ? keyA : keyB
            tasks.append(
                Task {
                    let response = try await limiter.send(
                        limiterRequest("w\(index)"), context: limiterContext(key: key), to: transport)
                    _ = try await response.body.collect(upTo: 100)
                })
            await yieldUntil("waiter \(index) queued") { limiter.waiting == index + 1 }
        }
        #expect(transport.requests.count == 1, "nobody passes while the only permit is held")
        holder.body.discard()
        for task in tasks { try await task.value }
        #expect(
            transport.requests.map(\.url).map { $0.split(separator: "/").last.map(String.init) ?? "" }
                == ["holder", "w0", "w1", "w2", "w3", "w4", "w5"])
        #expect(limiter.gauges == ConcurrencyGauges())
    }

    enum Ending: String, CaseIterable, Sendable {
        case finished, failed, cancelled, discarded, releasedUnread
    }

    @Test(
        "the permit is held after the response head and given back exactly once when the body ends",
        arguments: Ending.allCases)
    func heldUntilBodyEnds(ending: Ending) async throws {
        let probe = InFlightProbe()
        let transport = InMemoryTransport { _ in
            let body = ending == .failed ? ResponseBody(source: FailingBodySource()) : ResponseBody(bytes: [1, 2, 3])
            probe.track(body)
            return ClientResponse(status: 200, body: body)
        }
        let limiter = ConcurrencyLimitMiddleware(
            limits: ConcurrencyLimits(maxConcurrentRequestsPerKey: 1), clock: TestClock())

        var response: ClientResponse? = try await limiter.send(limiterRequest("first"), to: transport)
        #expect(limiter.inFlight(for: keyA) == 1, "the head has arrived but the body has not ended")
        let second = Task { try await limiter.send(limiterRequest("second"), to: transport) }
        await yieldUntil("second request queued") { limiter.waiting(for: keyA) == 1 }

        if ending == .releasedUnread {
            response = nil  // the last copy of the body goes away unread
        } else {
            try await Self.end(response!.body, ending)
            response!.body.discard()  // a second ending must not give the permit back again
            response = nil
        }

        let secondResponse = try await second.value
        #expect(probe.terminations == [ending == .releasedUnread ? "discarded" : ending.rawValue])
        #expect(limiter.inFlight(for: keyA) == 1, "the permit went to the second request, and only once")
        #expect(limiter.waiting == 0)
        secondResponse.body.discard()
        #expect(limiter.gauges == ConcurrencyGauges())
    }

    static func end(_ body: ResponseBody, _ ending: Ending) async throws {
        switch ending {
        case .finished:
            _ = try await body.collect(upTo: 100)
        case .failed:
            await #expect(throws: FailingBodySource.Failure.self) { try await body.collect(upTo: 100) }
        case .cancelled:
            let reader = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                for try await _ in body {}
            }
            await #expect(throws: CancellationError.self) { try await reader.value }
        case .discarded:
            body.discard()
        case .releasedUnread:
            break
        }
    }

    @Test("the permit is given back at once when the layers below throw")
    func releasedWhenNextThrows() async throws {
        struct Refused: Error {}
        let limiter = ConcurrencyLimitMiddleware(
            limits: ConcurrencyLimits(maxConcurrentRequests: 1), clock: TestClock())
        let failing = InMemoryTransport { _ in throw Refused() }
        await #expect(throws: Refused.self) { try await limiter.send(limiterRequest("a"), to: failing) }
        #expect(limiter.inFlight == 0)

        let probe = InFlightProbe()
        let response = try await limiter.send(limiterRequest("b"), to: transport(probe))
        #expect(limiter.inFlight == 1)
        response.body.discard()
        #expect(limiter.inFlight == 0)
    }

    @Test("cancelling a waiting task takes it out of the queue and throws CancellationError; it is never sent")
    func cancelWaiter() async throws {
        let probe = InFlightProbe()
        let transport = transport(probe)
        let limiter = ConcurrencyLimitMiddleware(
            limits: ConcurrencyLimits(maxConcurrentRequests: 1), clock: TestClock())
        let holder = try await limiter.send(limiterRequest("holder"), to: transport)
        let waiter = Task { try await limiter.send(limiterRequest("cancelled"), to: transport) }
        let next = Task { try await limiter.send(limiterRequest("next"), to: transport) }
        await yieldUntil("both queued") { limiter.waiting == 2 }

        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(limiter.waiting == 1)

        holder.body.discard()
        let response = try await next.value
        #expect(transport.requests.map(\.url) == ["http://127.0.0.1:1/holder", "http://127.0.0.1:1/next"])
        response.body.discard()
        #expect(limiter.gauges == ConcurrencyGauges())
    }

    @Test("a task cancelled before it would wait throws at once and takes no permit")
    func cancelledBeforeWaiting() async throws {
        let probe = InFlightProbe()
        let transport = transport(probe)
        let limiter = ConcurrencyLimitMiddleware(
            limits: ConcurrencyLimits(maxConcurrentRequests: 1), clock: TestClock())
        let holder = try await limiter.send(limiterRequest("holder"), to: transport)
        let waiter = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await limiter.send(limiterRequest("cancelled"), to: transport)
        }
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(limiter.gauges.waiting == 0)
        holder.body.discard()
        #expect(limiter.gauges == ConcurrencyGauges())
    }

    @Test("a waiter whose deadline passes in the queue fails with permitWaitExceedsDeadline, unsent")
    func deadlineWhileQueued() async throws {
        let clock = TestClock()
        let probe = InFlightProbe()
        let transport = transport(probe)
        let limiter = ConcurrencyLimitMiddleware(
            limits: ConcurrencyLimits(maxConcurrentRequestsPerKey: 1), clock: clock)
        let holder = try await limiter.send(limiterRequest("holder"), to: transport)
        let waiter = Task {
            try await limiter.send(
                limiterRequest("late"), context: limiterContext(deadline: .seconds(5)), to: transport)
        }
        await yieldUntil("queued") { limiter.waiting == 1 }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(4))
        #expect(limiter.waiting == 1, "still before the deadline")
        clock.advance(by: .seconds(1))
        let error = await #expect(throws: SluiceError.self) { try await waiter.value }
        #expect(error?.code == .permitWaitExceedsDeadline)
        #expect(error?.message.contains("key-a") == true)
        #expect(limiter.waiting == 0)
        #expect(transport.requests.count == 1)
        #expect(clock.sleeperCount == 0)
        holder.body.discard()
        #expect(limiter.gauges == ConcurrencyGauges())
    }

    @Test("a request that would have to wait past an already-passed deadline fails at once")
    func deadlineAlreadyPassed() async throws {
        let clock = TestClock(now: .seconds(10))
        let probe = InFlightProbe()
        let limiter = ConcurrencyLimitMiddleware(limits: ConcurrencyLimits(maxConcurrentRequests: 1), clock: clock)
        let holder = try await limiter.send(limiterRequest("holder"), to: transport(probe))
        let error = await #expect(throws: SluiceError.self) {
            try await limiter.send(
                limiterRequest("late"), context: limiterContext(deadline: .seconds(10)), to: transport(probe))
        }
        #expect(error?.code == .permitWaitExceedsDeadline)
        #expect(clock.sleeperCount == 0)
        #expect(limiter.waiting == 0)
        holder.body.discard()
    }

    @Test("a waiter admitted before its deadline goes on, and its deadline timer stops")
    func admittedBeforeDeadline() async throws {
        let clock = TestClock()
        let probe = InFlightProbe()
        let transport = transport(probe)
        let limiter = ConcurrencyLimitMiddleware(limits: ConcurrencyLimits(maxConcurrentRequests: 1), clock: clock)
        let holder = try await limiter.send(limiterRequest("holder"), to: transport)
        let waiter = Task {
            try await limiter.send(
                limiterRequest("waiter"), context: limiterContext(deadline: .seconds(5)), to: transport)
        }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(3))
        holder.body.discard()
        let response = try await waiter.value
        await yieldUntil("the deadline timer stopped") { clock.sleeperCount == 0 }
        clock.advance(by: .seconds(10))
        #expect(limiter.inFlight == 1, "passing the deadline after admission does not take the permit away")
        response.body.discard()
        #expect(limiter.gauges == ConcurrencyGauges())
    }

    @Test("per-key and client-wide limits together: a full key waits without blocking other keys")
    func perKeyAndClientWide() async throws {
        let keyC = KeyID(rawValue: "key-c")
        let probe = InFlightProbe()
        let transport = transport(probe)
        let limits = ConcurrencyLimits(
            maxConcurrentRequests: 4, maxConcurrentRequestsPerKey: 2, perKeyOverrides: [keyC: 1])
        let limiter = ConcurrencyLimitMiddleware(limits: limits, clock: TestClock())
        func send(_ name: String, _ key: KeyID) async throws -> ClientResponse {
            try await limiter.send(limiterRequest(name), context: limiterContext(key: key), to: transport)
        }

        let a1 = try await send("a1", keyA)
        let a2 = try await send("a2", keyA)
        let a3 = Task { try await send("a3", keyA) }
        await yieldUntil("a3 waits for its key") { limiter.waiting(for: keyA) == 1 }
        #expect(limiter.inFlight == 2, "the client-wide pool still has room")

        let c1 = try await send("c1", keyC)
        let c2 = Task { try await send("c2", keyC) }
        await yieldUntil("c2 waits for its override of 1") { limiter.waiting(for: keyC) == 1 }
        let b1 = try await send("b1", keyB)
        #expect(
            limiter.gauges
                == ConcurrencyGauges(
                    inFlight: 4, waiting: 2,
                    inFlightByKey: [keyA: 2, keyB: 1, keyC: 1], waitingByKey: [keyA: 1, keyC: 1]
                ))

        // The pool is full now: b2 queues behind a3 and c2.
        let b2 = Task { try await send("b2", keyB) }
        await yieldUntil("b2 waits for the pool") { limiter.waiting == 3 }

        // Ending b1 frees pool room and room for key B, but not for A or C: b2 goes.
        b1.body.discard()
        let b2Response = try await b2.value
        #expect(limiter.waiting(for: keyA) == 1 && limiter.waiting(for: keyC) == 1)

        // Ending a1 frees key A's room and pool room: a3, the oldest waiter that fits, goes.
        a1.body.discard()
        let a3Response = try await a3.value
        #expect(limiter.waiting == 1)

        // Ending c1 lets c2 in.
        c1.body.discard()
        let c2Response = try await c2.value
        #expect(limiter.gauges == ConcurrencyGauges(inFlight: 4, inFlightByKey: [keyA: 2, keyB: 1, keyC: 1]))
        #expect(probe.peak == 4)

        for response in [a2, b2Response, a3Response, c2Response] { response.body.discard() }
        #expect(limiter.gauges == ConcurrencyGauges())
    }

    @Test("requests without a key id count as one key of their own and against the client-wide pool")
    func unkeyed() async throws {
        let probe = InFlightProbe()
        let transport = transport(probe)
        let limiter = ConcurrencyLimitMiddleware(
            limits: ConcurrencyLimits(maxConcurrentRequests: 3, maxConcurrentRequestsPerKey: 1), clock: TestClock())
        let first = try await limiter.send(limiterRequest("u1"), context: limiterContext(key: nil), to: transport)
        let second = Task {
            try await limiter.send(limiterRequest("u2"), context: limiterContext(key: nil), to: transport)
        }
        await yieldUntil("the second unkeyed request waits") { limiter.waiting(for: nil) == 1 }
        #expect(limiter.inFlight(for: nil) == 1)
        #expect(limiter.gauges == ConcurrencyGauges(inFlight: 1, waiting: 1), "totals only: no key to list")
        first.body.discard()
        try await second.value.body.discard()
        #expect(limiter.gauges == ConcurrencyGauges())
    }

    @Test(
        "no limits (nil, zero or negative): every request goes through at once, and is still counted",
        arguments: [
            ConcurrencyLimits.unlimited,
            ConcurrencyLimits(
                maxConcurrentRequests: 0, maxConcurrentRequestsPerKey: 2,
                perKeyOverrides: [KeyID(rawValue: "key-a"): -1]),
        ])
    func unlimited(limits: ConcurrencyLimits) async throws {
        let probe = InFlightProbe()
        let limiter = ConcurrencyLimitMiddleware(limits: limits)
        var responses: [ClientResponse] = []
        for index in 0..<50 {
            responses.append(try await limiter.send(limiterRequest("r\(index)"), to: transport(probe)))
        }
        #expect(limiter.gauges == ConcurrencyGauges(inFlight: 50, inFlightByKey: [keyA: 50]))
        for response in responses { response.body.discard() }
        #expect(limiter.gauges == ConcurrencyGauges())
    }

    @Test(
        "a queued call reports permit_wait_started and permit_wait_ended with the time waited; a failed wait ends too")
    func events() async throws {
        let clock = TestClock()
        let recorder = EventRecorder()
        let emitter = EventEmitter(handlers: [recorder], clock: clock)
        func context(_ callID: UInt64, deadline: Duration? = nil) -> ClientContext {
            ClientContext(
                callID: callID, provider: .openAI, model: "m", operation: .chat, deadline: deadline, keyID: keyA,
                events: emitter)
        }
        let probe = InFlightProbe()
        let transport = transport(probe)
        let limiter = ConcurrencyLimitMiddleware(limits: ConcurrencyLimits(maxConcurrentRequests: 1), clock: clock)

        let holder = try await limiter.send(limiterRequest("holder"), context: context(1), to: transport)
        #expect(recorder.events(forCall: 1).isEmpty, "a call admitted at once reports no wait")

        let waiter = Task { try await limiter.send(limiterRequest("waiter"), context: context(2), to: transport) }
        let late = Task {
            try await limiter.send(limiterRequest("late"), context: context(3, deadline: .seconds(5)), to: transport)
        }
        await yieldUntil("both queued") { limiter.waiting == 2 }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(5))
        await #expect(throws: SluiceError.self) { try await late.value }
        holder.body.discard()
        try await waiter.value.body.discard()

        #expect(recorder.kinds(forCall: 2) == [.permitWaitStarted, .permitWaitEnded])
        #expect(recorder.events(forCall: 2).last?.waited == .seconds(5))
        #expect(recorder.events(forCall: 2).last?.error == nil)
        #expect(recorder.kinds(forCall: 3) == [.permitWaitStarted, .permitWaitEnded])
        #expect(recorder.events(forCall: 3).last?.error?.code == .permitWaitExceedsDeadline)
        #expect(recorder.events(forCall: 3).last?.keyID == keyA)
    }
}
