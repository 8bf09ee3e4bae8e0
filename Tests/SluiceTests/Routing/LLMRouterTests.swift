import SluiceTesting
import Synchronization
import Testing

@testable import Sluice

@Suite("Routing with fallback")
struct LLMRouterTests {
    static let request = ChatRequest(model: "gpt-4o-mini", messages: [.user("hi")])

    /// A primary answering `answer`, a healthy secondary, and a router over both without a breaker.
    static func pair(
        _ answer: ScriptedAnswer, names: (String, String) = ("primary", "secondary"),
        policy: RoutingPolicy = RoutingPolicy(circuitBreaker: nil), recorder: EventRecorder = EventRecorder()
    ) throws -> (LLMRouter, ScriptedDeployment, ScriptedDeployment) {
        let clock = TestClock()
        let primary = ScriptedDeployment(names.0, answer, clock: clock)
        let secondary = ScriptedDeployment(names.1, clock: clock)
        let router = try LLMRouter(
            [primary.deployment(), secondary.deployment()], policy: policy, eventHandlers: [recorder])
        return (router, primary, secondary)
    }

    @Test(
        "each failure class falls back to the next deployment, with a fallback event naming the class",
        arguments: [
            (ScriptedAnswer.status(429), "rate_limited"),
            (.status(500), "server_error"),
            (.status(503), "server_error"),
            (.status(529), "overloaded"),
            (.transportError(SluiceError(.responseHeadTimeout, "no head")), "timeout"),
            (.transportError(SluiceError(.attemptTimeout, "attempt too long")), "timeout"),
            (.transportError(SluiceError(.connectionRefused, "nothing listens")), "connection_failure"),
            (.transportError(SluiceError(.connectionClosed, "reset")), "connection_failure"),
            (.status(400, code: "context_length_exceeded", message: "too many tokens"), "context_window_exceeded"),
        ])
    func fallsBack(answer: ScriptedAnswer, reason: String) async throws {
        let recorder = EventRecorder()
        let (router, primary, secondary) = try Self.pair(answer, recorder: recorder)
        let reply = try await router.chat(Self.request)
        #expect(reply.text == "from secondary")
        #expect(primary.requestCount == 1)
        #expect(secondary.requestCount == 1)
        let fallbacks = recorder.events(ofKind: .fallback)
        #expect(fallbacks.count == 1)
        #expect(fallbacks.first?.deployment == "primary")
        #expect(fallbacks.first?.reason == reason)
        #expect(fallbacks.first?.error != nil)
    }

    @Test(
        "client errors do not fall back: the deployment's own error is thrown and the next is not asked",
        arguments: [
            (ScriptedAnswer.status(400), SluiceError.Code.badRequest),
            (.status(401), .authenticationFailed),
            (.status(404), .notFound),
            (.status(429, code: "insufficient_quota"), .insufficientQuota),
        ])
    func clientErrorsThrown(answer: ScriptedAnswer, code: SluiceError.Code) async throws {
        let (router, primary, secondary) = try Self.pair(answer)
        let error = await #expect(throws: SluiceError.self) { try await router.chat(Self.request) }
        #expect(error?.code == code)
        #expect(primary.requestCount == 1)
        #expect(secondary.requestCount == 0)
    }

    @Test("a class left out of fallbackOn is thrown as is; quota exhaustion falls back when added")
    func configurableClasses() async throws {
        let (router, _, secondary) = try Self.pair(
            .status(429), policy: RoutingPolicy(fallbackOn: [.serverError], circuitBreaker: nil))
        let error = await #expect(throws: SluiceError.self) { try await router.chat(Self.request) }
        #expect(error?.code == .rateLimited)
        #expect(secondary.requestCount == 0)

        var policy = RoutingPolicy(circuitBreaker: nil)
        policy.fallbackOn.insert(.quotaExhausted)
        let (quotaRouter, _, _) = try Self.pair(.status(429, code: "insufficient_quota"), policy: policy)
        #expect(try await quotaRouter.chat(Self.request).text == "from secondary")
    }

    @Test("when every deployment fails, the typed error names each one's failure and no key")
    func allFail() async throws {
        let (router, _, secondary) = try Self.pair(.status(503))
        secondary.set(.status(529))
        let error = await #expect(throws: SluiceError.self) { try await router.chat(Self.request) }
        #expect(error?.code == .allDeploymentsFailed)
        #expect(error?.status == 529)
        let failures = try #require(error?.cause as? RoutingFailures).failures
        #expect(failures.map(\.deployment) == ["primary", "secondary"])
        #expect(failures.map { $0.error?.code } == [.serverError, .overloaded])
        let printed = "\(error!) \(String(reflecting: error!))"
        #expect(printed.contains("primary: server_error (HTTP 503)"))
        #expect(!printed.contains(ScriptedDeployment.secret("primary")))
        #expect(!printed.contains(ScriptedDeployment.secret("secondary")))
    }

    @Test("a deployment's model replaces the request's model")
    func modelOverride() async throws {
        let clock = TestClock()
        let primary = ScriptedDeployment("primary", .status(503), clock: clock)
        let secondary = ScriptedDeployment("secondary", clock: clock)
        let router = try LLMRouter(
            [primary.deployment(), secondary.deployment(model: "other-model")],
            policy: RoutingPolicy(circuitBreaker: nil))
        _ = try await router.chat(Self.request)
        let sent = try JSONValue(parsing: try #require(secondary.transport.requests.first?.body))
        #expect(sent["model"]?.stringValue == "other-model")
        let first = try JSONValue(parsing: try #require(primary.transport.requests.first?.body))
        #expect(first["model"]?.stringValue == "gpt-4o-mini")
    }

    @Test("embeddings fall back too")
    func embeddings() async throws {
        let (router, primary, secondary) = try Self.pair(.status(503))
        secondary.set(.status(500))
        let error = await #expect(throws: SluiceError.self) {
            try await router.embed(EmbeddingsRequest(model: "e", inputs: ["a"]))
        }
        #expect(error?.code == .allDeploymentsFailed)
        #expect(primary.requestCount == 1)
        #expect(secondary.requestCount == 1)
    }

    @Test(
        "bad configuration is a typed error at construction",
        arguments: [
            ([], nil),
            (["a", "a"], nil),
            (["a", ""], nil),
            (["a"], 0.0),
            (["a"], -1.0),
            (["a"], Double.nan),
            (["a"], Double.infinity),
        ] as [([String], Double?)])
    func invalidConfiguration(names: [String], weight: Double?) throws {
        let clock = TestClock()
        let deployments = names.map {
            ScriptedDeployment($0.isEmpty ? "x" : $0, clock: clock).deployment(weight: weight ?? 1)
        }.enumerated().map { index, deployment in
            var deployment = deployment
            deployment.name = names[index]
            return deployment
        }
        let error = #expect(throws: SluiceError.self) { try LLMRouter(deployments) }
        #expect(error?.code == .invalidRouting)
    }

    @Test(
        "an out-of-range circuit breaker policy is a typed error at construction",
        arguments: [
            CircuitBreakerPolicy(failureRatio: 0),
            CircuitBreakerPolicy(failureRatio: 1.5),
            CircuitBreakerPolicy(failureRatio: .nan),
            CircuitBreakerPolicy(window: .zero),
            CircuitBreakerPolicy(minimumCalls: 0),
            CircuitBreakerPolicy(consecutiveFailures: 0),
            CircuitBreakerPolicy(openDuration: .seconds(-1)),
            CircuitBreakerPolicy(halfOpenProbes: 0),
        ])
    func invalidBreaker(breaker: CircuitBreakerPolicy) throws {
        let deployment = ScriptedDeployment("a", clock: TestClock()).deployment()
        let error = #expect(throws: SluiceError.self) {
            try LLMRouter([deployment], policy: RoutingPolicy(circuitBreaker: breaker))
        }
        #expect(error?.code == .invalidRouting)
    }

    @Test("weighted choice follows the injected draw; the rest follow in order")
    func weighted() async throws {
        let clock = TestClock()
        let light = ScriptedDeployment("light", clock: clock)
        let heavy = ScriptedDeployment("heavy", clock: clock)
        let draw = SharedValue(0.9)
        let router = try LLMRouter(
            [light.deployment(weight: 1), heavy.deployment(weight: 3)],
            policy: RoutingPolicy(strategy: .weighted, circuitBreaker: nil),
            random: { draw.get() })
        #expect(try await router.chat(Self.request).text == "from heavy")  // 0.9 × 4 = 3.6 ≥ 1
        draw.set(0.2)  // 0.8 < 1
        #expect(try await router.chat(Self.request).text == "from light")
        draw.set(.nan)  // clamped to 0
        #expect(try await router.chat(Self.request).text == "from light")
        draw.set(7)  // clamped below 1
        #expect(try await router.chat(Self.request).text == "from heavy")
        heavy.set(.status(503))
        #expect(try await router.chat(Self.request).text == "from light")
    }

    @Test("least busy goes to the deployment with fewer calls in flight through the router")
    func leastBusy() async throws {
        let (router, _, second) = try Self.pair(
            .hang, names: ("first", "second"), policy: RoutingPolicy(strategy: .leastBusy, circuitBreaker: nil))
        let held = Task { try await router.chat(Self.request) }
        #expect(await ScriptedDeployment.eventually { router.inFlightCalls["first"] == 1 })
        #expect(try await router.chat(Self.request).text == "from second")
        held.cancel()
        _ = await held.result
        #expect(router.inFlightCalls == ["first": 0, "second": 0])
        #expect(second.requestCount == 1)
    }

    @Test("lowest latency prefers the deployment whose successful calls were faster")
    func lowestLatency() async throws {
        let (router, slow, fast) = try Self.pair(
            .replyAfter(.seconds(2)), names: ("slow", "fast"),
            policy: RoutingPolicy(strategy: .lowestLatency, circuitBreaker: nil))
        fast.set(.replyAfter(.milliseconds(100)))
        // Unmeasured deployments go first, in order: slow, then fast.
        #expect(try await router.chat(Self.request).text == "from slow")
        #expect(try await router.chat(Self.request).text == "from fast")
        // Then the faster one, while it stays faster.
        #expect(try await router.chat(Self.request).text == "from fast")
        #expect(try await router.chat(Self.request).text == "from fast")
        // It slows down: the moving average passes the slow one's after a few calls.
        fast.set(.replyAfter(.seconds(10)))
        var served: [String] = []
        for _ in 0..<4 { served.append(try await router.chat(Self.request).text) }
        #expect(served.first == "from fast")
        #expect(served.last == "from slow")
        #expect(slow.requestCount >= 2)
    }

    @Test("a caller's cancellation is thrown as cancelled, does not fall back and does not count against the circuit")
    func cancellation() async throws {
        let (router, _, secondary) = try Self.pair(
            .hang, policy: RoutingPolicy(circuitBreaker: CircuitBreakerPolicy(minimumCalls: 1, consecutiveFailures: 1)))
        let call = Task { try await router.chat(Self.request) }
        #expect(await ScriptedDeployment.eventually { router.inFlightCalls["primary"] == 1 })
        call.cancel()
        let result = await call.result
        #expect(throws: SluiceError.self) { try result.get() }
        if case .failure(let error as SluiceError) = result { #expect(error.code == .cancelled) }
        #expect(secondary.requestCount == 0)
        #expect(router.circuitStates["primary"] == .closed)
        #expect(router.inFlightCalls["primary"] == 0)
    }

    @Test("after shutdown new calls fail with shutdown; an owning router shuts its clients down")
    func shutdown() async throws {
        let clock = TestClock()
        let only = ScriptedDeployment("only", clock: clock)
        let router = try LLMRouter([only.deployment()], ownsClients: true)
        await router.shutdown()
        #expect(only.client.isShuttingDown)
        let error = await #expect(throws: SluiceError.self) { try await router.chat(Self.request) }
        #expect(error?.code == .shutdown)

        let kept = ScriptedDeployment("kept", clock: clock)
        let borrowing = try LLMRouter([kept.deployment()])
        await borrowing.shutdown()
        #expect(!kept.client.isShuttingDown)
    }
}
