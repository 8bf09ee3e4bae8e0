@testable import Sluice
import SluiceTesting
import Synchronization
import Testing

@Suite("Adaptive concurrency limit")
struct AdaptiveConcurrencyTests {
    static func limit(initial: Int = 8, minimum: Int = 2, maximum: Int = 64) throws -> AdaptiveConcurrencyLimit {
        AdaptiveConcurrencyLimit(try AdaptiveConcurrency(initialLimit: initial, minimumLimit: minimum, maximumLimit: maximum))
    }

    @Test("steady answers with the limit in use grow it, up to the maximum and no further")
    func grows() throws {
        var state = try Self.limit()
        var now = Duration.zero
        for _ in 0..<500 {
            now += .milliseconds(100)
            state.record(.answered, latency: .milliseconds(100), inFlight: state.limit, now: now)
        }
        #expect(state.limit == 64)
    }

    @Test("an idle client does not inflate its limit")
    func idleStays() throws {
        var state = try Self.limit()
        for step in 1...200 {
            state.record(.answered, latency: .milliseconds(100), inFlight: 1, now: .milliseconds(100 * step))
        }
        #expect(state.limit == 8)
    }

    @Test("a push-back shrinks the limit once per short window, never below the minimum")
    func backsOff() throws {
        var state = try Self.limit(initial: 32)
        state.record(.answered, latency: .milliseconds(200), inFlight: 0, now: .zero)
        let first = state.record(.pushedBack, latency: .zero, inFlight: 32, now: .seconds(1))
        #expect(first)
        #expect(state.limit == 24)
        // The same burst: answers within the short window (200 ms) count once.
        let again = state.record(.pushedBack, latency: .zero, inFlight: 32, now: .seconds(1) + .milliseconds(50))
        #expect(!again)
        #expect(state.limit == 24)
        for step in 2...60 { state.record(.pushedBack, latency: .zero, inFlight: 32, now: .seconds(step)) }
        #expect(state.limit == 2)
    }

    @Test("answers much slower than usual shrink the limit")
    func latencyGradient() throws {
        var state = try Self.limit(initial: 40)
        var now = Duration.zero
        for _ in 0..<50 {
            now += .milliseconds(100)
            state.record(.answered, latency: .milliseconds(100), inFlight: 0, now: now)
        }
        let before = state.limit
        for _ in 0..<10 {
            now += .seconds(1)
            state.record(.answered, latency: .seconds(1), inFlight: 0, now: now)
        }
        #expect(state.limit < before)
        #expect(state.limit >= 2)
    }

    @Test("ignored outcomes change nothing")
    func ignored() throws {
        var state = try Self.limit()
        let changed = state.record(.ignored, latency: .seconds(100), inFlight: 100, now: .seconds(1))
        #expect(!changed)
        #expect(state.limit == 8)
    }

    @Test("bad settings are typed configuration errors")
    func invalid() {
        let cases: [() throws -> AdaptiveConcurrency] = [
            { try AdaptiveConcurrency(initialLimit: 1, minimumLimit: 0, maximumLimit: 4) },
            { try AdaptiveConcurrency(initialLimit: 4, minimumLimit: 4, maximumLimit: 3) },
            { try AdaptiveConcurrency(initialLimit: 9, maximumLimit: 8) },
            { try AdaptiveConcurrency(initialLimit: 2, maximumLimit: 8, backoffRatio: 1) },
            { try AdaptiveConcurrency(initialLimit: 2, maximumLimit: 8, backoffRatio: .nan) },
            { try AdaptiveConcurrency(initialLimit: 2, maximumLimit: 8, tolerance: 0.5) },
            { try AdaptiveConcurrency(initialLimit: 2, maximumLimit: 8, smoothing: 0) },
        ]
        for make in cases {
            let error = #expect(throws: SluiceError.self) { try make() }
            #expect(error?.code == .invalidConfiguration)
        }
    }

    // MARK: In the middleware

    /// A middleware with an adaptive limit (initial 4, 1…8) on a test clock, and a context reporting
    /// to `recorder`.
    static func middleware(clock: TestClock, maximum: Int = 8) throws -> ConcurrencyLimitMiddleware {
        ConcurrencyLimitMiddleware(
            limits: ConcurrencyLimits(adaptive: try AdaptiveConcurrency(initialLimit: 4, minimumLimit: 1, maximumLimit: maximum)),
            clock: clock)
    }

    @Test("a 429 through the middleware lowers the limit in force and reports it; a 400 does not")
    func pushBackThroughMiddleware() async throws {
        let clock = TestClock()
        let middleware = try Self.middleware(clock: clock)
        let recorder = EventRecorder()
        var context = limiterContext()
        context.events = EventEmitter(handlers: [recorder], clock: clock)
        #expect(middleware.clientLimit == 4)

        let badRequest = InMemoryTransport.immediate { _ in ClientResponse(status: 400) }
        try await middleware.send(limiterRequest("a"), context: context, to: badRequest).body.discard()
        #expect(middleware.clientLimit == 4)

        let limited = InMemoryTransport.immediate { _ in ClientResponse(status: 429) }
        try await middleware.send(limiterRequest("b"), context: context, to: limited).body.discard()
        #expect(middleware.clientLimit == 3)
        let changed = try #require(recorder.events(ofKind: .concurrencyLimitChanged).first)
        #expect(changed.limit == 3)
        #expect(changed.reason == "pushed_back")
        #expect(changed.text == "was 4")
        #expect(middleware.gauges.inFlight == 0)
    }

    @Test("a raised limit admits the waiters it lets in; a lowered one takes nothing back; the configured maximum bounds it")
    func setLimitAdmits() throws {
        var state = ConcurrencyLimiterState<String>(
            limits: ConcurrencyLimits(
                maxConcurrentRequests: 5, adaptive: try AdaptiveConcurrency(initialLimit: 1, maximumLimit: 50)))
        let key = state.index(of: KeyID(rawValue: "key-a"))
        #expect(state.clientLimit == 1)
        let first = state.tryAcquire(key)
        let second = state.tryAcquire(key)
        #expect(first && !second)
        for name in ["b", "c", "d"] {
            _ = state.enqueue(state.makeWaiterID(), key: key, priority: CallPriority.default.rawValue, payload: name)
        }
        let raised = state.setClientLimit(3)
        #expect(raised == ["b", "c"])
        #expect(state.inFlight == 3)
        let lowered = state.setClientLimit(1)
        #expect(lowered.isEmpty)
        #expect(state.inFlight == 3)  // nothing taken back
        let released = state.release(key)
        #expect(released.isEmpty)  // 2 in flight, limit 1: "d" still waits
        let raisedAgain = state.setClientLimit(40)
        #expect(raisedAgain == ["d"])
        #expect(state.clientLimit == 5)  // maxConcurrentRequests bounds the adaptive limit
    }
}
