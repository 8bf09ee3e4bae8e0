import SluiceTesting
import Testing

@testable import Sluice

@Suite("Shared circuit-breaker state")
struct CircuitBreakerStoreTests {
    static let request = ChatRequest(model: "gpt-4o-mini", messages: [.user("hi")])

    /// Two routers (standing for two replicas) over their own clients of the same two deployments.
    struct Replicas {
        let clock = TestClock()
        let recorders = [EventRecorder(), EventRecorder()]
        let primaries: [ScriptedDeployment]
        let secondaries: [ScriptedDeployment]
        let routers: [LLMRouter]

        init(_ breaker: CircuitBreakerPolicy, store: any CircuitBreakerStore) throws {
            let clock = clock
            let primaries = [ScriptedDeployment("primary", .status(503), clock: clock), ScriptedDeployment("primary", .status(503), clock: clock)]
            let secondaries = [ScriptedDeployment("secondary", clock: clock), ScriptedDeployment("secondary", clock: clock)]
            var routers: [LLMRouter] = []
            for index in 0..<2 {
                routers.append(
                    try LLMRouter(
                        [primaries[index].deployment(), secondaries[index].deployment()],
                        policy: RoutingPolicy(circuitBreaker: breaker), eventHandlers: [recorders[index]], breakerStore: store))
            }
            self.primaries = primaries
            self.secondaries = secondaries
            self.routers = routers
        }
    }

    @Test("failures through one router open the circuit the other sees: it skips the deployment without trying it")
    func failuresOpenForAll() async throws {
        let store = InMemoryCircuitBreakerStore()
        let replicas = try Replicas(CircuitBreakerPolicy(minimumCalls: 100, consecutiveFailures: 3, openDuration: .seconds(10)), store: store)
        for _ in 0..<3 { #expect(try await replicas.routers[0].chat(Self.request).text == "from secondary") }
        #expect(store.states["primary"] == .open)
        #expect(replicas.recorders[0].events(ofKind: .circuitOpened).count == 1)
        // The second replica never sent to the primary: the shared circuit was open.
        #expect(try await replicas.routers[1].chat(Self.request).text == "from secondary")
        #expect(replicas.primaries[1].requestCount == 0)
        #expect(replicas.routers[1].circuitStates["primary"] == .open)
    }

    @Test("half-open probes are limited across routers, and a probe's success closes the circuit for all")
    func probesShared() async throws {
        let store = InMemoryCircuitBreakerStore()
        let replicas = try Replicas(CircuitBreakerPolicy(minimumCalls: 100, consecutiveFailures: 1, openDuration: .seconds(10)), store: store)
        _ = try await replicas.routers[0].chat(Self.request)
        #expect(store.states["primary"] == .open)
        replicas.clock.advance(by: .seconds(10))
        // The first replica's probe hangs: the second replica finds the only probe out and skips.
        replicas.primaries[0].set(.hang)
        let probe = Task { try await replicas.routers[0].chat(Self.request) }
        #expect(await ScriptedDeployment.eventually { replicas.primaries[0].requestCount == 2 })
        #expect(store.states["primary"] == .halfOpen)
        #expect(try await replicas.routers[1].chat(Self.request).text == "from secondary")
        #expect(replicas.primaries[1].requestCount == 0)
        probe.cancel()
        _ = try? await probe.value
        // A cancelled probe is not counted; the next probe (from the second replica) succeeds and closes.
        replicas.primaries[1].set(.reply)
        #expect(try await replicas.routers[1].chat(Self.request).text == "from primary")
        #expect(store.states["primary"] == .closed)
        #expect(replicas.recorders[1].events(ofKind: .circuitClosed).count == 1)
    }
}
