import Sluice
import SluiceMockServer
import SluiceTesting
import Testing

/// A router over two real mock servers on loopback: the primary's faults are switched at run time.
@Suite("Routing with fallback against two mock servers", .serialized)
struct RoutingTests {
    static let key = "KEY-MARKER-routing"

    static func client(_ server: MockLLMServer) -> LLMClient.Configuration {
        var configuration = LLMClient.Configuration.openAI(apiKey: Self.key, baseURL: server.baseURL + "/v1")
        configuration.retryPolicy = .disabled
        return configuration
    }

    /// Runs `body` with a primary and a secondary mock server on loopback.
    static func withServers(
        replyTokens: Int, _ body: (MockLLMServer, MockLLMServer) async throws -> Void
    ) async throws {
        var serverConfiguration = MockServerConfiguration()
        serverConfiguration.replyTokens = replyTokens
        try await MockLLMServer.withRunning(serverConfiguration) { primaryServer in
            try await MockLLMServer.withRunning(serverConfiguration) { secondaryServer in
                try await body(primaryServer, secondaryServer)
            }
        }
    }

    static let request = ChatRequest(model: "gpt-4o-mini", messages: [.user("Tell me about rivers.")], maxOutputTokens: 8)

    @Test("a primary answering 503 to everything: every call completes through the secondary, the breaker opens within the configured failures, and a probe closes it once the primary recovers")
    func primaryDown() async throws {
        try await Self.withServers(replyTokens: 4) { primaryServer, secondaryServer in
            primaryServer.setFaults(MockFaultPlan([.rate(1, .serverError(503))]))
            let primary = try LLMClient(Self.client(primaryServer))
            let secondary = try LLMClient(Self.client(secondaryServer))
            let failuresToOpen = 3
            let breaker = CircuitBreakerPolicy(
                minimumCalls: 1_000, consecutiveFailures: failuresToOpen, openDuration: .milliseconds(300))
            let events = EventRecorder()
            let router = try LLMRouter(
                [Deployment(name: "primary", client: primary), Deployment(name: "secondary", client: secondary)],
                policy: RoutingPolicy(circuitBreaker: breaker), eventHandlers: [events], ownsClients: true)

            let calls = 12
            for _ in 0..<calls {
                let reply = try await router.chat(Self.request)
                #expect(!reply.text.isEmpty)
            }
            #expect(secondaryServer.stats.requests == calls)
            // The breaker opened on exactly the configured failure in a row (its circuit_opened comes
            // before that failure's fallback); the primary saw only those and any half-open probes since.
            let kinds = events.events.map(\.kind)
            let firstOpen = try #require(kinds.firstIndex(of: .circuitOpened))
            #expect(kinds[..<firstOpen].filter { $0 == .fallback }.count == failuresToOpen - 1)
            #expect(kinds.dropFirst(firstOpen + 1).first == .fallback)
            let probes = events.events(ofKind: .circuitHalfOpen).count
            #expect(primaryServer.stats.requests == failuresToOpen + probes)
            #expect(events.events(ofKind: .fallback).allSatisfy { $0.deployment == "primary" && $0.reason == "server_error" })
            #expect(!events.events.map(\.description).joined().contains(Self.key))

            // The primary recovers: after the open duration a probe goes through and closes the circuit.
            primaryServer.setFaults(.none)
            var closed = false
            for _ in 0..<200 where !closed {
                _ = try await router.chat(Self.request)
                closed = router.circuitStates["primary"] == .closed
                if !closed { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(closed)
            #expect(events.events(ofKind: .circuitClosed).map(\.deployment) == ["primary"])
            let served = primaryServer.stats.requests
            _ = try await router.chat(Self.request)
            #expect(primaryServer.stats.requests == served + 1)

            // A streamed call whose primary fails at the head falls back before its first token.
            primaryServer.setFaults(MockFaultPlan([.rate(1, .serverError(503))]))
            let before = secondaryServer.stats.requests
            var text = ""
            let reply = try await router.streamChat(Self.request) { event in
                if case .textDelta(let delta) = event { text += delta }
            }
            #expect(!text.isEmpty)
            #expect(reply.text == text)
            #expect(secondaryServer.stats.requests == before + 1)
            await router.shutdown()
            #expect(primary.isShuttingDown && secondary.isShuttingDown)
        }
    }

    @Test("a stream that drops after its first token is not fallen back on: the partial output is kept")
    func midStreamDrop() async throws {
        try await Self.withServers(replyTokens: 8) { primaryServer, secondaryServer in
            primaryServer.setFaults(MockFaultPlan([.rate(1, .dropConnection(afterTokens: 2))]))
            let router = try LLMRouter(
                [
                    Deployment(name: "primary", client: try LLMClient(Self.client(primaryServer))),
                    Deployment(name: "secondary", client: try LLMClient(Self.client(secondaryServer))),
                ], ownsClients: true)
            let error = await #expect(throws: SluiceError.self) {
                try await router.streamChat(Self.request) { _ in }
            }
            #expect(error?.partialResponse?.text.isEmpty == false)
            #expect(secondaryServer.stats.requests == 0)
            await router.shutdown()
        }
    }
}
