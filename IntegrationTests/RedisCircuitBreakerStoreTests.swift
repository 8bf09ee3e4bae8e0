import Sluice
import SluiceMockServer
import SluiceRedis
import SluiceTesting
import Testing

/// Two routers (standing for two replicas) sharing their deployments' circuits through one
/// redis-server: failures through one open the circuit the other sees; probes are shared; the
/// circuit closes for both; a lost Redis keeps circuits in the process.
@Suite("Redis circuit-breaker store against redis-server", .serialized)
struct RedisCircuitBreakerStoreTests {
    static let request = ChatRequest(model: "gpt-4o-mini", messages: [.user("Tell me about rivers.")], maxOutputTokens: 8)

    @Test("failures through one replica open the circuit for the other; a probe closes it for both once the primary recovers")
    func sharedCircuit() async throws {
        var serverConfiguration = MockServerConfiguration()
        serverConfiguration.replyTokens = 4
        try await MockLLMServer.withRunning(serverConfiguration) { primaryServer in
            try await MockLLMServer.withRunning(serverConfiguration) { secondaryServer in
                try await RedisTestServer.with { redis in
                    primaryServer.setFaults(MockFaultPlan([.rate(1, .serverError(503))]))
                    let breaker = CircuitBreakerPolicy(minimumCalls: 1_000, consecutiveFailures: 3, openDuration: .seconds(2))
                    let stores = (0..<2).map { _ in RedisCircuitBreakerStore(configuration: .init(redis: redis.configuration)) }
                    let events = [EventRecorder(), EventRecorder()]
                    var routers: [LLMRouter] = []
                    for index in 0..<2 {
                        routers.append(
                            try LLMRouter(
                                [
                                    Deployment(name: "primary", client: try LLMClient(RoutingTests.client(primaryServer))),
                                    Deployment(name: "secondary", client: try LLMClient(RoutingTests.client(secondaryServer))),
                                ],
                                policy: RoutingPolicy(circuitBreaker: breaker), eventHandlers: [events[index]], ownsClients: true,
                                breakerStore: stores[index]))
                    }
                    // Three failures through the first replica open the primary's circuit.
                    for _ in 0..<3 { _ = try await routers[0].chat(Self.request) }
                    #expect(events[0].events(ofKind: .circuitOpened).map(\.deployment) == ["primary"])
                    #expect(primaryServer.stats.requests == 3)
                    // The second replica skips the primary without sending to it (unless the open time
                    // ran out meanwhile and it probed, once).
                    for _ in 0..<3 { _ = try await routers[1].chat(Self.request) }
                    let probes = events[1].events(ofKind: .circuitHalfOpen).count
                    #expect(primaryServer.stats.requests == 3 + probes)
                    #expect(probes <= 1)

                    // The primary recovers: a probe through either replica closes the circuit for both.
                    primaryServer.setFaults(.none)
                    var closed = false
                    for attempt in 0..<200 where !closed {
                        _ = try await routers[attempt % 2].chat(Self.request)
                        closed = events.contains { !$0.events(ofKind: .circuitClosed).isEmpty }
                        if !closed { try await Task.sleep(for: .milliseconds(50)) }
                    }
                    #expect(closed)
                    for router in routers {
                        let served = primaryServer.stats.requests
                        _ = try await router.chat(Self.request)
                        #expect(primaryServer.stats.requests == served + 1)
                        #expect(router.circuitStates["primary"] == .closed)
                    }
                    // Redis holds a fingerprint of the deployment's name, not the name or a key.
                    let connection = try await RedisConnection.connect(to: redis.configuration)
                    let names = try await connection.send(["KEYS", "*"]).array?.compactMap(\.string) ?? []
                    #expect(names.count == 2)
                    #expect(!names.joined().contains("primary"))
                    await connection.close()
                    for router in routers { await router.shutdown() }
                    for store in stores { await store.close() }
                }
            }
        }
    }

    @Test("the half-open probes are limited across replicas")
    func probesLimited() async throws {
        try await RedisTestServer.with { redis in
            let stores = (0..<2).map { _ in RedisCircuitBreakerStore(configuration: .init(redis: redis.configuration)) }
            let policy = CircuitBreakerPolicy(minimumCalls: 100, consecutiveFailures: 1, openDuration: .zero, halfOpenProbes: 1)
            let first = await stores[0].admit("api", policy: policy, now: .zero)
            #expect(first.admitted && first.state == .closed)
            #expect(await stores[0].record(.failure, of: first, deployment: "api", policy: policy, now: .zero) == .open)
            let probe = await stores[1].admit("api", policy: policy, now: .zero)
            #expect(probe.admitted && probe.state == .halfOpen && probe.transition == .halfOpen)
            let second = await stores[0].admit("api", policy: policy, now: .zero)
            #expect(!second.admitted)
            #expect(await stores[1].record(.success, of: probe, deployment: "api", policy: policy, now: .zero) == .closed)
            #expect(await stores[0].admit("api", policy: policy, now: .zero).state == .closed)
            for store in stores { await store.close() }
        }
    }

    @Test("Redis unreachable: circuits are kept in the process, with a fallback event")
    func unreachable() async throws {
        let events = Recorded<RateLimitStoreEvent>()
        var configuration = RedisCircuitBreakerStore.Configuration(redis: RedisConfiguration(host: "127.0.0.1", port: try curlUnusedPort()))
        configuration.onEvent = events.record
        let store = RedisCircuitBreakerStore(configuration: configuration)
        let policy = CircuitBreakerPolicy(minimumCalls: 100, consecutiveFailures: 2, openDuration: .seconds(60))
        for _ in 0..<2 {
            let admission = await store.admit("api", policy: policy, now: .zero)
            #expect(admission.admitted)
            _ = await store.record(.failure, of: admission, deployment: "api", policy: policy, now: .zero)
        }
        let refused = await store.admit("api", policy: policy, now: .seconds(1))
        #expect(!refused.admitted && refused.state == .open)
        #expect(events.all.filter { $0.kind == .fallbackEntered }.count == 1)
        await store.close()
    }
}
