import SluiceTesting
import Testing

@testable import Sluice

@Suite("Routed streams fall back only before their first content")
struct RoutedStreamTests {
    static let request = ChatRequest(model: "gpt-4o-mini", messages: [.user("hi")])

    static func router(primary: ScriptedAnswer) throws -> (LLMRouter, ScriptedDeployment, ScriptedDeployment) {
        let clock = TestClock()
        let primaryDeployment = ScriptedDeployment("primary", primary, clock: clock)
        let secondary = ScriptedDeployment(
            "secondary", .stream([ScriptedDeployment.role, ScriptedDeployment.text("second")], then: nil), clock: clock)
        let router = try LLMRouter(
            [primaryDeployment.deployment(), secondary.deployment()], policy: RoutingPolicy(circuitBreaker: nil))
        return (router, primaryDeployment, secondary)
    }

    @Test(
        "an error answer, or a failure before any content, falls back to the next deployment's stream",
        arguments: [
            ScriptedAnswer.status(503),
            .transportError(SluiceError(.connectionRefused, "nothing listens")),
            .stream([], then: SluiceError(.connectionClosed, "reset before any byte")),
            .stream([ScriptedDeployment.role], then: SluiceError(.connectionClosed, "reset after the role")),
        ])
    func beforeContent(primary: ScriptedAnswer) async throws {
        let (router, _, secondary) = try Self.router(primary: primary)
        var text = ""
        let reply = try await router.streamChat(Self.request) { event in
            if case .textDelta(let delta) = event { text += delta }
        }
        #expect(text == "second")
        #expect(reply.text == "second")
        #expect(secondary.requestCount == 1)
    }

    @Test("a failure after the first content is the typed mid-stream error with the partial output; no fallback")
    func afterContent() async throws {
        let (router, _, secondary) = try Self.router(
            primary: .stream(
                [ScriptedDeployment.role, ScriptedDeployment.text("half")],
                then: SluiceError(.connectionClosed, "reset mid-reply")))
        var text = ""
        let error = await #expect(throws: SluiceError.self) {
            try await router.streamChat(Self.request) { event in
                if case .textDelta(let delta) = event { text += delta }
            }
        }
        #expect(error?.code == .connectionClosed)
        #expect(error?.partialResponse?.text == "half")
        #expect(text == "half")
        #expect(secondary.requestCount == 0)
    }

    static let failuresBeforeContent = [
        ScriptedAnswer.status(503),
        .transportError(SluiceError(.connectionRefused, "nothing listens")),
        .stream([], then: SluiceError(.connectionClosed, "reset before any byte")),
        .stream([ScriptedDeployment.role], then: SluiceError(.connectionClosed, "reset after the role")),
    ]

    @Test(
        "the returnable stream falls back as the scoped one does: its consumer reads the next deployment's text",
        arguments: failuresBeforeContent)
    func returnableBeforeContent(primary: ScriptedAnswer) async throws {
        let (router, _, secondary) = try Self.router(primary: primary)
        var text = ""
        for try await case .textDelta(let delta) in router.chatStream(Self.request) { text += delta }
        #expect(text == "second")
        #expect(secondary.requestCount == 1)
        #expect(await ScriptedDeployment.eventually { router.inFlightCalls.values.allSatisfy { $0 == 0 } })
    }

    @Test("the returnable stream's failure after its first content is the typed mid-stream error; no fallback")
    func returnableAfterContent() async throws {
        let (router, _, secondary) = try Self.router(
            primary: .stream(
                [ScriptedDeployment.role, ScriptedDeployment.text("half")],
                then: SluiceError(.connectionClosed, "reset mid-reply")))
        let stream = router.chatStream(Self.request)
        var text = ""
        let error = await #expect(throws: SluiceError.self) {
            for try await case .textDelta(let delta) in stream { text += delta }
        }
        #expect(error?.code == .connectionClosed)
        #expect(error?.partialResponse?.text == "half")
        #expect(text == "half")
        #expect(secondary.requestCount == 0)
        // Asked again, the stream throws the same failure rather than starting over.
        await #expect(throws: SluiceError.self) { _ = try await stream.finalResponse() }
    }

    @Test("every deployment failing before content ends the returnable stream with all_deployments_failed")
    func returnableAllFailed() async throws {
        let (router, _, secondary) = try Self.router(primary: .status(503))
        secondary.set(.status(500))
        let error = await #expect(throws: SluiceError.self) {
            _ = try await router.chatStream(Self.request).finalResponse()
        }
        #expect(error?.code == .allDeploymentsFailed)
    }

    @Test("a returnable stream dropped unread, or cancelled, ends its routed call: nothing stays in flight and a half-open probe is freed")
    func returnableReleased() async throws {
        let clock = TestClock()
        let primary = ScriptedDeployment("primary", .status(503), clock: clock)
        let secondary = ScriptedDeployment("secondary", clock: clock)
        let breaker = CircuitBreakerPolicy(minimumCalls: 100, consecutiveFailures: 1, openDuration: .seconds(30))
        let router = try LLMRouter(
            [primary.deployment(), secondary.deployment()], policy: RoutingPolicy(circuitBreaker: breaker))
        _ = try await router.chat(Self.request)  // opens the primary's circuit
        #expect(router.circuitStates["primary"] == .open)
        clock.advance(by: .seconds(31))
        let chunks = [ScriptedDeployment.role, ScriptedDeployment.text("a"), ScriptedDeployment.text("b")]
        primary.set(.stream(chunks, then: nil))

        // Dropped after one event: the probe through the half-open circuit ends as cancelled.
        do {
            var iterator = router.chatStream(Self.request).makeAsyncIterator()
            _ = try await iterator.next()
            #expect(router.inFlightCalls["primary"] == 1)
        }
        #expect(await ScriptedDeployment.eventually { router.inFlightCalls["primary"] == 0 })
        #expect(router.circuitStates["primary"] == .halfOpen)

        // The probe was freed, so the next call is let through; cancelled after one event, it frees it again.
        let stream = router.chatStream(Self.request)
        var iterator = stream.makeAsyncIterator()
        _ = try await iterator.next()
        stream.cancel()
        #expect(await ScriptedDeployment.eventually { router.inFlightCalls["primary"] == 0 })
        #expect(primary.requestCount == 3)

        // Read to the end, a probe succeeds and closes the circuit.
        let reply = try await router.chatStream(Self.request).finalResponse()
        #expect(reply.text == "ab")
        #expect(await ScriptedDeployment.eventually { router.circuitStates["primary"] == .closed })
        #expect(secondary.requestCount == 1)
    }
}
