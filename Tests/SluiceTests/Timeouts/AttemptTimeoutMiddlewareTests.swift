import Sluice
import SluiceTesting
import Synchronization
import Testing

@Suite("AttemptTimeoutMiddleware")
struct AttemptTimeoutMiddlewareTests {
    /// Only the limit under test, so other timers do not interfere.
    static func policy(
        head: Duration? = nil, streamingHead: Duration? = nil, firstToken: Duration? = nil, idle: Duration? = nil,
        attempt: Duration? = nil
    ) -> TimeoutPolicy {
        TimeoutPolicy(
            total: nil, responseHead: head, streamingResponseHead: streamingHead, firstToken: firstToken, idle: idle,
            attempt: attempt)
    }

    @Test("a stream whose head does not arrive in time fails with responseHeadTimeout and the attempt is cancelled")
    func headTimeout() async throws {
        let clock = TestClock()
        let stall = Stall()
        let middleware = AttemptTimeoutMiddleware(policy: Self.policy(head: .seconds(600), streamingHead: .seconds(10)), clock: clock)
        let call = Task { try await TestCalls.send(middleware, .streamChat) { _, _ in try await stall.wait() } }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(9))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        let error = await #expect(throws: SluiceError.self) { try await call.value }
        #expect(error?.code == .responseHeadTimeout)
        #expect(stall.cancelled.withLock { $0 })
        #expect(clock.sleeperCount == 0)
    }

    @Test("a non-streaming call gets the longer responseHead limit, since its head comes after the whole reply")
    func nonStreamingHead() async throws {
        let clock = TestClock()
        let stall = Stall()
        let middleware = AttemptTimeoutMiddleware(policy: Self.policy(head: .seconds(100), streamingHead: .seconds(10)), clock: clock)
        let call = Task { try await TestCalls.send(middleware, .chat) { _, _ in try await stall.wait() } }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(10))
        await clock.waitForSleepers(1)
        #expect(!stall.cancelled.withLock { $0 })
        clock.advance(by: .seconds(90))
        let error = await #expect(throws: SluiceError.self) { try await call.value }
        #expect(error?.code == .responseHeadTimeout)
    }

    @Test("a head in time passes through with its status and headers")
    func headInTime() async throws {
        let clock = TestClock()
        let middleware = AttemptTimeoutMiddleware(policy: Self.policy(head: .seconds(5)), clock: clock)
        let response = try await TestCalls.send(middleware) { _, _ in
            ClientResponse(status: 200, headers: ["x-request-id": "req_1"], body: ResponseBody(bytes: [1, 2]))
        }
        #expect(response.status == 200)
        #expect(response.headers["x-request-id"] == "req_1")
        #expect(try await TestCalls.read(response.body) == [[1, 2]])
        #expect(clock.sleeperCount == 0)
    }

    @Test("no first chunk within firstToken fails the read with firstTokenTimeout and discards the inner body once")
    func firstToken() async throws {
        let clock = TestClock()
        let source = ControlledSource()
        let inner = BodyTerminations()
        let middleware = AttemptTimeoutMiddleware(policy: Self.policy(firstToken: .seconds(30), idle: .seconds(60)), clock: clock)
        let response = try await TestCalls.send(middleware, .streamChat) { _, _ in
            let body = ResponseBody(source: source)
            body.onTermination(inner.record)
            return ClientResponse(status: 200, body: body)
        }
        let reader = Task { try await TestCalls.read(response.body) }
        await source.waitUntilPending()
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(29))
        await clock.waitForSleepers(1)
        #expect(inner.all.isEmpty)
        clock.advance(by: .seconds(1))
        let error = await #expect(throws: SluiceError.self) { try await reader.value }
        #expect(error?.code == .firstTokenTimeout)
        #expect(inner.all == ["discarded"])
        #expect(source.cancelCount == 1)
        #expect(clock.sleeperCount == 0)
    }

    @Test("the idle limit restarts with every chunk and fails a stalled stream with idleTimeout")
    func idle() async throws {
        let clock = TestClock()
        let source = ControlledSource()
        let inner = BodyTerminations()
        let middleware = AttemptTimeoutMiddleware(policy: Self.policy(idle: .seconds(5)), clock: clock)
        let response = try await TestCalls.send(middleware, .streamChat) { _, _ in
            let body = ResponseBody(source: source)
            body.onTermination(inner.record)
            return ClientResponse(status: 200, body: body)
        }
        let received = ChunkLog()
        let reader = Task {
            for try await chunk in response.body { received.append(chunk) }
        }
        source.send([1])
        await source.waitUntilPending()
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(3))
        source.send([2])
        await source.waitUntilPending()  // waiting again since t = 3
        clock.advance(by: .seconds(2))  // t = 5: 5 s after the first chunk, 2 s after the second
        await clock.waitForSleepers(1)
        #expect(inner.all.isEmpty)
        clock.advance(by: .seconds(3))  // t = 8: 5 s after the second chunk
        let error = await #expect(throws: SluiceError.self) { try await reader.value }
        #expect(error?.code == .idleTimeout)
        #expect(received.all == [[1], [2]])
        #expect(inner.all == ["discarded"])
    }

    @Test("a slow consumer never trips the chunk limits: they count only while it waits")
    func slowConsumer() async throws {
        let clock = TestClock()
        let source = ControlledSource()
        let middleware = AttemptTimeoutMiddleware(policy: Self.policy(firstToken: .seconds(5), idle: .seconds(5)), clock: clock)
        let response = try await TestCalls.send(middleware, .streamChat) { _, _ in
            ClientResponse(status: 200, body: ResponseBody(source: source))
        }
        source.send([1])
        source.send([2])
        source.finish()
        for _ in 0..<4 {
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(5))
        }
        #expect(try await TestCalls.read(response.body) == [[1], [2]])
        #expect(clock.sleeperCount == 0)
    }

    @Test("a stream that keeps producing chunks is cut by the attempt limit with attemptTimeout")
    func attemptTotal() async throws {
        let clock = TestClock()
        let source = ControlledSource()
        let inner = BodyTerminations()
        let middleware = AttemptTimeoutMiddleware(policy: Self.policy(idle: .seconds(5), attempt: .seconds(12)), clock: clock)
        let response = try await TestCalls.send(middleware, .streamChat) { _, _ in
            let body = ResponseBody(source: source)
            body.onTermination(inner.record)
            return ClientResponse(status: 200, body: body)
        }
        let reader = Task { try await TestCalls.read(response.body) }
        for chunk in 0..<3 {
            await source.waitUntilPending()
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(4))
            source.send([UInt8(chunk)])
        }
        // t = 12: the attempt limit passes while the consumer waits for the fourth chunk.
        let error = await #expect(throws: SluiceError.self) { try await reader.value }
        #expect(error?.code == .attemptTimeout)
        #expect(inner.all == ["discarded"])
    }

    @Test("discarding the timed body discards the inner body exactly once and stops the timers")
    func discardPropagates() async throws {
        let clock = TestClock()
        let source = ControlledSource()
        let inner = BodyTerminations()
        let middleware = AttemptTimeoutMiddleware(policy: Self.policy(idle: .seconds(5)), clock: clock)
        let response = try await TestCalls.send(middleware, .streamChat) { _, _ in
            let body = ResponseBody(source: source)
            body.onTermination(inner.record)
            return ClientResponse(status: 200, body: body)
        }
        let outer = BodyTerminations()
        response.body.onTermination(outer.record)
        await clock.waitForSleepers(1)
        response.body.discard()
        response.body.discard()
        #expect(outer.all == ["discarded"])
        #expect(inner.all == ["discarded"])
        #expect(source.cancelCount == 1)
        #expect(clock.sleeperCount == 0)
    }

    @Test("a body read to its end finishes the inner body once and stops the timers")
    func finishPropagates() async throws {
        let clock = TestClock()
        let inner = BodyTerminations()
        let middleware = AttemptTimeoutMiddleware(policy: .default, clock: clock)
        let response = try await TestCalls.send(middleware, .streamChat) { _, _ in
            let body = ResponseBody(chunks: [[1], [2, 3]])
            body.onTermination(inner.record)
            return ClientResponse(status: 200, body: body)
        }
        #expect(try await TestCalls.read(response.body) == [[1], [2, 3]])
        #expect(inner.all == ["finished"])
        #expect(clock.sleeperCount == 0)
    }

    @Test("a transport error mid-stream reaches the reader unchanged and fails the inner body once")
    func innerErrorPassesThrough() async throws {
        let clock = TestClock()
        let source = ControlledSource()
        let inner = BodyTerminations()
        let middleware = AttemptTimeoutMiddleware(policy: .default, clock: clock)
        let response = try await TestCalls.send(middleware, .streamChat) { _, _ in
            let body = ResponseBody(source: source)
            body.onTermination(inner.record)
            return ClientResponse(status: 200, body: body)
        }
        source.send([1])
        source.fail(SluiceError(.connectionClosed, "reset by peer"))
        let error = await #expect(throws: SluiceError.self) { try await TestCalls.read(response.body) }
        #expect(error?.code == .connectionClosed)
        #expect(inner.all == ["failed"])
    }

    @Test("a call's options.timeouts replaces the middleware's policy")
    func perCallOverride() async throws {
        let clock = TestClock()
        let stall = Stall()
        let middleware = AttemptTimeoutMiddleware(policy: Self.policy(streamingHead: .seconds(600)), clock: clock)
        var options = CallOptions()
        options.timeouts = Self.policy(streamingHead: .seconds(2))
        let context = TestCalls.context(.streamChat, options: options)
        let call = Task { try await TestCalls.send(middleware, context: context) { _, _ in try await stall.wait() } }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(2))
        let error = await #expect(throws: SluiceError.self) { try await call.value }
        #expect(error?.code == .responseHeadTimeout)
    }

    @Test("with no limits the layer adds no timers")
    func unlimited() async throws {
        let clock = TestClock()
        let middleware = AttemptTimeoutMiddleware(policy: .unlimited, clock: clock)
        let response = try await TestCalls.send(middleware) { _, _ in ClientResponse(status: 200) }
        #expect(response.status == 200)
        #expect(clock.sleeperCount == 0)
    }
}

final class ChunkLog: Sendable {
    private let chunks = Mutex<[[UInt8]]>([])
    func append(_ chunk: [UInt8]) { chunks.withLock { $0.append(chunk) } }
    var all: [[UInt8]] { chunks.withLock { $0 } }
}
