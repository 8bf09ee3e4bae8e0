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

    /// A router over the two servers, with no circuit breaker so that every call tries the primary.
    static func router(_ primaryServer: MockLLMServer, _ secondaryServer: MockLLMServer) throws -> LLMRouter {
        try LLMRouter(
            [
                Deployment(name: "primary", client: try LLMClient(Self.client(primaryServer))),
                Deployment(name: "secondary", client: try LLMClient(Self.client(secondaryServer))),
            ], policy: RoutingPolicy(circuitBreaker: nil), ownsClients: true)
    }

    @Test("the returnable stream falls back before its first token (an error answer, a drop before any token) and keeps the partial output after it")
    func returnableStream() async throws {
        try await Self.withServers(replyTokens: 8) { primaryServer, secondaryServer in
            let router = try Self.router(primaryServer, secondaryServer)
            for fault in [MockFault.serverError(503), .dropConnection(afterTokens: 0)] {
                primaryServer.setFaults(MockFaultPlan([.rate(1, fault)]))
                let before = (primaryServer.stats.requests, secondaryServer.stats.requests)
                var text = ""
                for try await case .textDelta(let delta) in router.chatStream(Self.request) { text += delta }
                #expect(text.split(separator: " ").count == 8)
                #expect(primaryServer.stats.requests == before.0 + 1)
                #expect(secondaryServer.stats.requests == before.1 + 1)
            }

            primaryServer.setFaults(MockFaultPlan([.rate(1, .dropConnection(afterTokens: 2))]))
            let served = secondaryServer.stats.requests
            var text = ""
            let error = await #expect(throws: SluiceError.self) {
                for try await case .textDelta(let delta) in router.chatStream(Self.request) { text += delta }
            }
            #expect(error?.partialResponse?.text.isEmpty == false)
            #expect(error?.partialResponse?.text == text)
            #expect(secondaryServer.stats.requests == served)
            #expect(await Self.eventually { router.inFlightCalls.values.allSatisfy { $0 == 0 } })
            await router.shutdown()
        }
    }

    @Test("a Responses API call, plain or streamed, falls back to the secondary when the primary answers 503", arguments: [false, true])
    func responsesFallback(streamed: Bool) async throws {
        try await Self.withServers(replyTokens: 6) { primaryServer, secondaryServer in
            primaryServer.setFaults(MockFaultPlan([.rate(1, .serverError(503))]))
            let events = EventRecorder()
            let router = try LLMRouter(
                [
                    Deployment(name: "primary", client: try LLMClient(Self.client(primaryServer))),
                    Deployment(name: "secondary", client: try LLMClient(Self.client(secondaryServer)), model: "gpt-test"),
                ], policy: RoutingPolicy(circuitBreaker: nil), eventHandlers: [events], ownsClients: true)
            let request = ResponsesRequest(model: "gpt-4o-mini", input: "Tell me about rivers.")
            let reply =
                streamed
                ? try await router.streamResponse(request) { stream in try await stream.finalResponse() }
                : try await router.createResponse(request)
            #expect(reply.status == .completed)
            #expect(reply.outputText.split(separator: " ").count == 6)
            #expect(primaryServer.stats.requests == 1)
            #expect(secondaryServer.stats.requests == 1)
            let fallbacks = events.events(ofKind: .fallback)
            #expect(fallbacks.map(\.deployment) == ["primary"])
            #expect(fallbacks.first?.operation == (streamed ? .streamResponses : .responses))

            // After the first token a streamed reply's failure is thrown as is, with the text so far.
            if streamed {
                primaryServer.setFaults(MockFaultPlan([.rate(1, .dropConnection(afterTokens: 2))]))
                let error = await #expect(throws: SluiceError.self) {
                    try await router.streamResponse(request) { stream in try await stream.finalResponse() }
                }
                #expect(error?.partialResponse?.text.isEmpty == false)
                #expect(secondaryServer.stats.requests == 1)
            }
            #expect(!events.events.map(\.description).joined().contains(Self.key))
            await router.shutdown()
        }
    }

    /// Polls `condition` up to 1,000 times, 10 ms apart.
    static func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<1_000 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}
