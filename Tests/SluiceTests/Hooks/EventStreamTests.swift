import Sluice
import SluiceTesting
import Testing

@Suite("EventStream")
struct EventStreamTests {
    @Test("a consumer receives the events in order, then the loop ends after finish")
    func deliversInOrder() async {
        let stream = EventStream()
        for call in 1...5 { stream.handle(usageTestEvent(.requestStarted, call: UInt64(call))) }
        stream.finish()
        stream.handle(usageTestEvent(.requestStarted, call: 99))  // after finish: ignored
        var calls: [UInt64] = []
        for await event in stream.events { calls.append(event.callID) }
        #expect(calls == [1, 2, 3, 4, 5])
        #expect(stream.droppedCount == 0)
    }

    @Test("with no consumer reading, handle never blocks: the oldest events are dropped and counted")
    func dropsOldest() async {
        let stream = EventStream(capacity: 8)
        for call in 1...1_000 { stream.handle(usageTestEvent(.chunk, call: UInt64(call))) }
        #expect(stream.droppedCount == 992)
        stream.finish()
        var calls: [UInt64] = []
        for await event in stream.events { calls.append(event.callID) }
        #expect(calls == Array(993...1_000))
    }

    @Test("dropping newest keeps the backlog and drops the new events")
    func dropsNewest() async {
        let stream = EventStream(capacity: 3, dropping: .newest)
        for call in 1...10 { stream.handle(usageTestEvent(.chunk, call: UInt64(call))) }
        #expect(stream.droppedCount == 7)
        stream.finish()
        var calls: [UInt64] = []
        for await event in stream.events { calls.append(event.callID) }
        #expect(calls == [1, 2, 3])
    }

    @Test("a consumer that keeps up loses nothing while calls run concurrently")
    func concurrentProducers() async {
        let stream = EventStream(capacity: 10_000)
        let consumer = Task {
            var count = 0
            for await _ in stream.events { count += 1 }
            return count
        }
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask {
                    for index in 0..<1_000 {
                        stream.handle(usageTestEvent(.chunk, call: UInt64(task * 10_000 + index)))
                    }
                }
            }
        }
        stream.finish()
        #expect(await consumer.value == 4_000)
        #expect(stream.droppedCount == 0)
    }

    @Test("attached to a client, a stream that nobody reads never holds up calls")
    func clientNotBlocked() async throws {
        let stream = EventStream(capacity: 4)
        var configuration = LLMClient.Configuration.openAI(apiKey: "k", baseURL: "http://127.0.0.1:1/v1")
        configuration.eventHandlers = [stream]
        let client = LLMClient(
            configuration,
            transport: InMemoryTransport { _ in
                ClientResponse(status: 200, body: ResponseBody(bytes: UsageTestBodies.completion()))
            })
        for _ in 0..<10 { _ = try await client.chat(ChatRequest(model: "gpt-4o-mini", messages: [.user("hi")])) }
        // Each call emits request_started, attempt_started, response_head and request_succeeded:
        // 40 events into 4 places.
        #expect(stream.droppedCount == 36)
        stream.finish()
        var kinds: [ClientEvent.Kind] = []
        for await event in stream.events { kinds.append(event.kind) }
        #expect(kinds == [.requestStarted, .attemptStarted, .responseHead, .requestSucceeded])
    }

    @Test("a capacity below one is raised to one")
    func minimumCapacity() {
        #expect(EventStream(capacity: 0).capacity == 1)
        #expect(EventStream().capacity == 1_024)
        #expect(EventStream().dropping == .oldest)
    }
}
