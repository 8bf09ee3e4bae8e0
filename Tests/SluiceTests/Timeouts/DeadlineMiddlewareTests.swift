import Sluice
import SluiceTesting
import Synchronization
import Testing

@Suite("DeadlineMiddleware")
struct DeadlineMiddlewareTests {
    @Test("sets context.deadline to now + total for the layers inside")
    func setsDeadline() async throws {
        let clock = TestClock(now: .seconds(100))
        let seen = Mutex<Duration?>(nil)
        let middleware = DeadlineMiddleware(policy: TimeoutPolicy(total: .seconds(30)), clock: clock)
        _ = try await TestCalls.send(middleware) { _, context in
            seen.withLock { $0 = context.deadline }
            return ClientResponse(status: 200)
        }
        #expect(seen.withLock { $0 } == .seconds(130))
    }

    @Test("never moves an earlier deadline already on the context later")
    func keepsEarlierDeadline() async throws {
        let clock = TestClock()
        let seen = Mutex<[Duration?]>([])
        let middleware = DeadlineMiddleware(policy: TimeoutPolicy(total: .seconds(30)), clock: clock)
        for existing in [Duration.seconds(10), .seconds(50)] {
            _ = try await TestCalls.send(middleware, context: TestCalls.context(deadline: existing)) { _, context in
                seen.withLock { $0.append(context.deadline) }
                return ClientResponse(status: 200)
            }
        }
        #expect(seen.withLock { $0 } == [.seconds(10), .seconds(30)])
    }

    @Test("a call whose deadline has already passed fails at once with deadlineExceeded, sending nothing")
    func alreadyPast() async throws {
        let clock = TestClock(now: .seconds(20))
        let sent = Mutex(0)
        let middleware = DeadlineMiddleware(policy: TimeoutPolicy(total: nil), clock: clock)
        let error = await #expect(throws: SluiceError.self) {
            try await TestCalls.send(middleware, context: TestCalls.context(deadline: .seconds(20))) { _, _ in
                sent.withLock { $0 += 1 }
                return ClientResponse(status: 200)
            }
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(sent.withLock { $0 } == 0)
    }

    @Test("cuts a call still waiting for its head with deadlineExceeded and cancels the layers inside")
    func cutsInFlight() async throws {
        let clock = TestClock()
        let stall = Stall()
        let middleware = DeadlineMiddleware(policy: TimeoutPolicy(total: .seconds(30)), clock: clock)
        let call = Task { try await TestCalls.send(middleware) { _, _ in try await stall.wait() } }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(30))
        let error = await #expect(throws: SluiceError.self) { try await call.value }
        #expect(error?.code == .deadlineExceeded)
        #expect(stall.cancelled.withLock { $0 })
    }

    @Test("cuts a stream after its head: the next read throws deadlineExceeded and the inner body ends once")
    func cutsStreamBody() async throws {
        let clock = TestClock()
        let source = ControlledSource()
        let inner = BodyTerminations()
        let middleware = DeadlineMiddleware(policy: TimeoutPolicy(total: .seconds(30)), clock: clock)
        let response = try await TestCalls.send(middleware, .streamChat) { _, _ in
            let body = ResponseBody(source: source)
            body.onTermination(inner.record)
            return ClientResponse(status: 200, body: body)
        }
        let received = ChunkLog()
        let reader = Task { for try await chunk in response.body { received.append(chunk) } }
        source.send([1])
        await source.waitUntilPending()
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(30))
        let error = await #expect(throws: SluiceError.self) { try await reader.value }
        #expect(error?.code == .deadlineExceeded)
        #expect(received.all == [[1]])
        #expect(inner.all == ["discarded"])
        #expect(source.cancelCount == 1)
    }

    @Test("with no total and no deadline the layer does nothing")
    func passThrough() async throws {
        let clock = TestClock()
        let seen = Mutex<Duration?>(.seconds(-1))
        let middleware = DeadlineMiddleware(policy: .default, clock: clock)
        let response = try await TestCalls.send(middleware) { _, context in
            seen.withLock { $0 = context.deadline }
            return ClientResponse(status: 200)
        }
        #expect(response.status == 200)
        #expect(seen.withLock { $0 } == nil)
        #expect(clock.sleeperCount == 0)
    }

    @Test("a call's options.timeouts.total replaces the policy's")
    func perCallTotal() async throws {
        let clock = TestClock()
        let seen = Mutex<Duration?>(nil)
        var options = CallOptions()
        options.timeouts = TimeoutPolicy(total: .seconds(5))
        let middleware = DeadlineMiddleware(policy: TimeoutPolicy(total: .seconds(300)), clock: clock)
        _ = try await TestCalls.send(middleware, context: TestCalls.context(options: options)) { _, context in
            seen.withLock { $0 = context.deadline }
            return ClientResponse(status: 200)
        }
        #expect(seen.withLock { $0 } == .seconds(5))
    }
}
