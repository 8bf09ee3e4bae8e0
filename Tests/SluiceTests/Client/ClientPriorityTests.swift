import Sluice
import SluiceTesting
import Testing

@Suite("LLMClient priorities")
struct ClientPriorityTests {
    @Test("a call without a priority takes the client's; a call's own priority wins; a shed call fails with load_shed")
    func clientDefault() async throws {
        let clock = TestClock()
        var configuration = LLMClient.Configuration(
            adapter: TestAdapter(), baseURL: "http://127.0.0.1:9/v1/", apiKey: "KEY-MARKER")
        configuration.retryPolicy = .disabled
        configuration.clock = clock
        configuration.limit(RateLimits(requestsPerMinute: 60, requestBurst: 1))
        configuration.rateLimits?.queue = try AdmissionQueuePolicy(maxWaiting: 0)
        configuration.priority = .batch
        let events = EventRecorder()
        configuration.eventHandlers = [events]
        let transport = InMemoryTransport { request in
            ClientResponse(status: 200, body: ResponseBody(bytes: request.body ?? []))
        }
        let client = LLMClient(configuration, transport: transport)

        _ = try await client.chat("first")
        let shed = await #expect(throws: SluiceError.self) { try await client.chat("second") }
        #expect(shed?.code == .loadShed)
        var options = CallOptions()
        options.priority = .interactive
        let own = await #expect(throws: SluiceError.self) {
            try await client.chat(ChatRequest(model: "m", messages: [.user("third")]), options: options)
        }
        #expect(own?.code == .loadShed)
        #expect(events.events.filter { $0.kind == .loadShed }.map(\.text) == ["batch", "interactive"])
        #expect(transport.requests.count == 1, "no shed call was sent")
    }
}
