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
}
