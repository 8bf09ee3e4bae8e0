// An ordered fallback chain with a circuit breaker, LiteLLM-router style: a primary deployment that
// answers 503 to everything, a healthy secondary.
//
//     swift run ExampleFallback
//
// Runs against two mock LLM servers started in-process on 127.0.0.1; the primary's faults are
// switched off at run time, and its circuit closes again after a half-open probe.
import Sluice
import SluiceMockServer
import Synchronization

func run(primaryServer: MockLLMServer, secondaryServer: MockLLMServer) async throws {
    func configuration(_ server: MockLLMServer) -> LLMClient.Configuration {
        var configuration = LLMClient.Configuration.openAI(apiKey: "sk-mock", baseURL: server.baseURL + "/v1")
        configuration.retryPolicy = .disabled  // fall back at once rather than retry a dead deployment
        return configuration
    }
    let breaker = CircuitBreakerPolicy(consecutiveFailures: 3, openDuration: .seconds(1))
    let transitions = TransitionLog()
    let router = try LLMRouter(
        [
            Deployment(name: "primary", client: try LLMClient(configuration(primaryServer))),
            Deployment(name: "secondary", client: try LLMClient(configuration(secondaryServer))),
        ],
        policy: RoutingPolicy(circuitBreaker: breaker),
        eventHandlers: [transitions],
        ownsClients: true)
    let request = ChatRequest(model: "gpt-4o-mini", messages: [.user("What is a sluice?")], maxOutputTokens: 8)

    // The primary is down: every call completes through the secondary, and after three failures in
    // a row the primary's circuit opens, so the router stops sending to it.
    primaryServer.setFaults(MockFaultPlan([.rate(1, .serverError(503))]))
    for _ in 0..<8 { _ = try await router.chat(request) }
    print("8 calls completed; primary answered \(primaryServer.stats.requests) (all 503), secondary served \(secondaryServer.stats.requests)")
    print("primary circuit: \(router.circuitStates["primary"] ?? .closed)")

    // The primary recovers: once the open duration has passed, a probe goes through and closes it.
    primaryServer.setFaults(.none)
    for _ in 0..<100 where router.circuitStates["primary"] != .closed {
        try await Task.sleep(for: .milliseconds(50))
        _ = try await router.chat(request)
    }
    print("primary circuit: \(router.circuitStates["primary"] ?? .closed)")
    print("transitions: \(transitions.names.withLock { $0.joined(separator: ", ") })")
    await router.shutdown()
}

try await MockLLMServer.withRunning(MockServerConfiguration(replyTokens: 4)) { primaryServer in
    try await MockLLMServer.withRunning(MockServerConfiguration(replyTokens: 4)) { secondaryServer in
        try await run(primaryServer: primaryServer, secondaryServer: secondaryServer)
    }
}

/// Records the circuit transitions the router reports.
final class TransitionLog: ClientEventHandler {
    let names = Mutex<[String]>([])
    func handle(_ event: ClientEvent) {
        guard [.circuitOpened, .circuitHalfOpen, .circuitClosed].contains(event.kind) else { return }
        names.withLock { $0.append("\(event.deployment ?? "?") \(event.kind)") }
    }
}
