import Logging
import SluiceTesting
import Testing

@testable import Sluice

@Suite("Circuit breaking per deployment")
struct CircuitBreakerTests {
    static let request = ChatRequest(model: "gpt-4o-mini", messages: [.user("hi")])

    struct Setup {
        let clock = TestClock()
        let recorder = EventRecorder()
        let primary: ScriptedDeployment
        let secondary: ScriptedDeployment
        let router: LLMRouter

        init(_ breaker: CircuitBreakerPolicy, primary answer: ScriptedAnswer = .status(503)) throws {
            primary = ScriptedDeployment("primary", answer, clock: clock)
            secondary = ScriptedDeployment("secondary", clock: clock)
            router = try LLMRouter(
                [primary.deployment(), secondary.deployment()], policy: RoutingPolicy(circuitBreaker: breaker),
                eventHandlers: [recorder])
        }

        func kinds() -> [ClientEvent.Kind] {
            recorder.events.map(\.kind).filter {
                [.circuitOpened, .circuitHalfOpen, .circuitClosed].contains($0)
            }
        }
    }

    @Test("consecutive failures open the circuit; an open circuit is skipped, every call completes through the secondary")
    func consecutive() async throws {
        let setup = try Setup(CircuitBreakerPolicy(minimumCalls: 100, consecutiveFailures: 3))
        for _ in 0..<6 {
            #expect(try await setup.router.chat(Self.request).text == "from secondary")
        }
        #expect(setup.primary.requestCount == 3)
        #expect(setup.secondary.requestCount == 6)
        #expect(setup.router.circuitStates == ["primary": .open, "secondary": .closed])
        let opened = setup.recorder.events(ofKind: .circuitOpened)
        #expect(opened.count == 1)
        #expect(opened.first?.deployment == "primary")
        #expect(opened.first?.error?.code == .serverError)
        #expect(!opened.description.contains(ScriptedDeployment.secret("primary")))
    }

    @Test("each call that passes over an open circuit is a circuit_skipped event naming the deployment, logged at debug")
    func skipped() async throws {
        let setup = try Setup(CircuitBreakerPolicy(minimumCalls: 100, consecutiveFailures: 1))
        _ = try await setup.router.chat(Self.request)  // the primary's failure opens its circuit
        #expect(setup.recorder.events(ofKind: .circuitSkipped).isEmpty)
        for _ in 0..<3 {
            #expect(try await setup.router.chat(Self.request).text == "from secondary")
        }
        let skipped = setup.recorder.events(ofKind: .circuitSkipped)
        #expect(skipped.map(\.deployment) == ["primary", "primary", "primary"])
        #expect(setup.primary.requestCount == 1)
        let logging = LoggingEventHandler(logger: Logger(label: "test"))
        #expect(skipped.allSatisfy { logging.level(for: $0) == .debug })
        #expect(!skipped.description.contains(ScriptedDeployment.secret("primary")))
    }

    @Test("the failure ratio over the window opens the circuit once the minimum number of calls ended")
    func ratio() async throws {
        let setup = try Setup(
            CircuitBreakerPolicy(failureRatio: 0.5, window: .seconds(60), minimumCalls: 4, consecutiveFailures: nil),
            primary: .reply)
        for answer in [ScriptedAnswer.status(503), .reply, .status(500)] {
            setup.primary.set(answer)
            _ = try await setup.router.chat(Self.request)
            #expect(setup.router.circuitStates["primary"] == .closed)  // fewer than 4 calls
        }
        setup.primary.set(.status(503))
        _ = try await setup.router.chat(Self.request)  // 3 of 4 failed
        #expect(setup.router.circuitStates["primary"] == .open)
    }

    @Test("failures older than the window do not count toward the ratio")
    func windowSlides() async throws {
        let setup = try Setup(
            CircuitBreakerPolicy(failureRatio: 0.5, window: .seconds(10), minimumCalls: 3, consecutiveFailures: nil))
        _ = try await setup.router.chat(Self.request)
        _ = try await setup.router.chat(Self.request)
        setup.clock.advance(by: .seconds(11))
        setup.primary.set(.reply)
        _ = try await setup.router.chat(Self.request)
        _ = try await setup.router.chat(Self.request)
        setup.primary.set(.status(503))
        _ = try await setup.router.chat(Self.request)  // 1 failure of 3 in the window
        #expect(setup.router.circuitStates["primary"] == .closed)
    }

    @Test("a client error counts as an answer, not a failure")
    func clientErrorIsNoFailure() async throws {
        let setup = try Setup(CircuitBreakerPolicy(consecutiveFailures: 1), primary: .status(400))
        for _ in 0..<3 {
            await #expect(throws: SluiceError.self) { try await setup.router.chat(Self.request) }
        }
        #expect(setup.router.circuitStates["primary"] == .closed)
    }

    @Test("after the open duration a probe goes through; its success closes the circuit")
    func probeCloses() async throws {
        let setup = try Setup(CircuitBreakerPolicy(consecutiveFailures: 2, openDuration: .seconds(30)))
        _ = try await setup.router.chat(Self.request)
        _ = try await setup.router.chat(Self.request)
        #expect(setup.router.circuitStates["primary"] == .open)
        setup.primary.set(.reply)
        setup.clock.advance(by: .seconds(29))
        #expect(try await setup.router.chat(Self.request).text == "from secondary")  // still open
        setup.clock.advance(by: .seconds(1))
        #expect(try await setup.router.chat(Self.request).text == "from primary")
        #expect(setup.router.circuitStates["primary"] == .closed)
        #expect(setup.kinds() == [.circuitOpened, .circuitHalfOpen, .circuitClosed])
        #expect(setup.recorder.events(ofKind: .circuitClosed).first?.deployment == "primary")
    }

    @Test("a failed probe opens the circuit again for another open duration")
    func probeReopens() async throws {
        let setup = try Setup(CircuitBreakerPolicy(consecutiveFailures: 1, openDuration: .seconds(5)))
        _ = try await setup.router.chat(Self.request)
        setup.clock.advance(by: .seconds(5))
        #expect(try await setup.router.chat(Self.request).text == "from secondary")  // the probe failed
        #expect(setup.primary.requestCount == 2)
        #expect(setup.router.circuitStates["primary"] == .open)
        #expect(setup.kinds() == [.circuitOpened, .circuitHalfOpen, .circuitOpened])
        setup.clock.advance(by: .seconds(4))
        _ = try await setup.router.chat(Self.request)
        #expect(setup.primary.requestCount == 2)  // open for the full duration again
    }

    @Test("with several probes, all must succeed to close; a half-open circuit lets only that many through")
    func severalProbes() async throws {
        let setup = try Setup(CircuitBreakerPolicy(consecutiveFailures: 1, openDuration: .seconds(1), halfOpenProbes: 2))
        _ = try await setup.router.chat(Self.request)
        setup.clock.advance(by: .seconds(1))
        setup.primary.set(.reply)
        #expect(try await setup.router.chat(Self.request).text == "from primary")
        #expect(setup.router.circuitStates["primary"] == .halfOpen)
        #expect(try await setup.router.chat(Self.request).text == "from primary")
        #expect(setup.router.circuitStates["primary"] == .closed)
    }

    @Test("when every circuit is open the call fails at once without sending anything")
    func allOpen() async throws {
        let setup = try Setup(CircuitBreakerPolicy(consecutiveFailures: 1, openDuration: .seconds(60)))
        setup.secondary.set(.status(502))
        let first = await #expect(throws: SluiceError.self) { try await setup.router.chat(Self.request) }
        #expect(first?.code == .allDeploymentsFailed)
        let error = await #expect(throws: SluiceError.self) { try await setup.router.chat(Self.request) }
        #expect(error?.code == .allCircuitsOpen)
        let skipped = try #require(error?.cause as? RoutingFailures)
        #expect(skipped.failures.map(\.deployment) == ["primary", "secondary"])
        #expect(skipped.failures.allSatisfy { $0.error == nil })
        #expect(setup.primary.requestCount == 1)
        #expect(setup.secondary.requestCount == 1)
    }

    @Test("the circuit state machine never traps on clock values far from its origin")
    func hostileClock() {
        var breaker = CircuitBreaker(policy: CircuitBreakerPolicy(minimumCalls: 1, consecutiveFailures: nil))
        var transition: CircuitState?
        for now in [Duration.zero, .seconds(Int64.max / 2), .seconds(Int64.max), .seconds(-5)] {
            guard let admission = breaker.admit(at: now, transition: &transition) else { continue }
            _ = breaker.record(.success, admission: admission, at: now)
        }
        #expect(breaker.state == .closed)
    }
}
