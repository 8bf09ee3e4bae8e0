@testable import Sluice
import SluiceTesting
import Synchronization
import Testing

/// The head limit handed down to a transport that enforces it (``ClientTransport/enforcesResponseHeadTimeout``)
/// instead of being timed by ``AttemptTimeoutMiddleware`` with a task of its own.
@Suite("Response head limit timed by the transport")
struct TransportTimedHeadTests {
    static func middleware(_ policy: TimeoutPolicy, clock: any SluiceClock = SystemClock.shared) -> AttemptTimeoutMiddleware {
        var middleware = AttemptTimeoutMiddleware(policy: policy, clock: clock)
        middleware.transportTimesHead = true
        return middleware
    }

    @Test("the head limit goes down on the request; the transport's timeout error names the attempt")
    func handedDown() async throws {
        let seen = Synchronization.Mutex<Duration?>(nil)
        let middleware = Self.middleware(TimeoutPolicy(responseHead: .seconds(7), firstToken: nil, idle: nil))
        var context = TestCalls.context(.chat)
        context.attempt = 2
        let error = await #expect(throws: SluiceError.self) {
            _ = try await middleware.intercept(TestCalls.request, context: context) { request, _ in
                seen.withLock { $0 = request.responseHeadTimeout }
                throw SluiceError(.responseHeadTimeout, "no response head arrived within 7.0 seconds")
            }
        }
        #expect(seen.withLock { $0 } == .seconds(7))
        #expect(error?.code == .responseHeadTimeout)
        #expect(error?.message.contains("attempt 2") == true)
    }

    @Test("the body is still timed: a stalled first chunk fails with firstTokenTimeout")
    func bodyStillTimed() async throws {
        let clock = TestClock()
        let source = ControlledSource()
        let middleware = Self.middleware(
            TimeoutPolicy(responseHead: .seconds(600), streamingResponseHead: .seconds(60), firstToken: .seconds(30), idle: nil),
            clock: clock)
        let response = try await TestCalls.send(middleware, .streamChat) { request, _ in
            #expect(request.responseHeadTimeout == .seconds(60))
            return ClientResponse(status: 200, body: ResponseBody(source: source))
        }
        let reader = Task { try await TestCalls.read(response.body) }
        await source.waitUntilPending()
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(30))
        let error = await #expect(throws: SluiceError.self) { try await reader.value }
        #expect(error?.code == .firstTokenTimeout)
        #expect(source.cancelCount == 1)
    }

    @Test("with an attempt limit the layer times the head itself and leaves the request without one")
    func attemptLimitKeepsRace() async throws {
        let middleware = Self.middleware(TimeoutPolicy(responseHead: .seconds(5), attempt: .seconds(60)))
        let response = try await TestCalls.send(middleware, .chat) { request, _ in
            #expect(request.responseHeadTimeout == nil)
            return ClientResponse(status: 200, body: ResponseBody(bytes: [1]))
        }
        #expect(try await response.body.collect(upTo: 10) == [1])
    }

    @Test("LLMClient hands the head limit to a transport that enforces it, on the real clock only")
    func clientWiring() async throws {
        let reply = Array(#"{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}"#.utf8)
        let synchronous = InMemoryTransport.immediate { _ in ClientResponse(status: 200, body: ResponseBody(bytes: reply)) }
        #expect(synchronous.enforcesResponseHeadTimeout)
        _ = try await LLMClient(.openAI(apiKey: "k", baseURL: "http://127.0.0.1:9/v1"), transport: synchronous).chat("hi")
        #expect(synchronous.requests.first?.responseHeadTimeout == .seconds(600))

        let asynchronous = InMemoryTransport { _ in ClientResponse(status: 200, body: ResponseBody(bytes: reply)) }
        #expect(!asynchronous.enforcesResponseHeadTimeout)
        _ = try await LLMClient(.openAI(apiKey: "k", baseURL: "http://127.0.0.1:9/v1"), transport: asynchronous).chat("hi")
        #expect(asynchronous.requests.first?.responseHeadTimeout == nil)

        // A test clock is not the transport's clock: the layer keeps timing the head itself.
        let onTestClock = InMemoryTransport.immediate { _ in ClientResponse(status: 200, body: ResponseBody(bytes: reply)) }
        var configuration = LLMClient.Configuration.openAI(apiKey: "k", baseURL: "http://127.0.0.1:9/v1")
        configuration.clock = TestClock()
        _ = try await LLMClient(configuration, transport: onTestClock).chat("hi")
        #expect(onTestClock.requests.first?.responseHeadTimeout == nil)
    }
}
