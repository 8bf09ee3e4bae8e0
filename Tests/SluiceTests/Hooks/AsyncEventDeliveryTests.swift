import SluiceTesting
import Synchronization
import Testing

@testable import Sluice

@Suite("AsyncEventDelivery")
struct AsyncEventDeliveryTests {
    /// Records what it handled; waits for `gate` before each event while `gated` is set.
    final class Recording: AsyncEventHandler {
        let handled = Mutex<[ClientEvent.Kind]>([])
        /// How many events the handler has begun (it may be waiting at the gate).
        let entered = Atomic<Int>(0)
        let gate: AsyncStream<Void>?

        init(gate: AsyncStream<Void>? = nil) { self.gate = gate }

        func handle(_ event: ClientEvent) async {
            entered.add(1, ordering: .relaxed)
            if let gate { for await _ in gate { break } }
            handled.withLock { $0.append(event.kind) }
        }
    }

    func event(_ kind: ClientEvent.Kind, call: UInt64 = 1) -> ClientEvent {
        ClientEvent(
            kind: kind, callID: call, provider: .openAI, model: "m", operation: .chat, attempt: 1, keyID: nil,
            instant: .zero)
    }

    @Test("a whole call through a client reaches the async handler in order; finish waits for the last")
    func inOrderThroughAClient() async throws {
        let handler = Recording()
        let delivery = AsyncEventDelivery(handler)
        let transport = InMemoryTransport { _ in
            ClientResponse(
                status: 200, headers: [:],
                body: ResponseBody(bytes: Array(#"{"id":"c","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}"#.utf8)))
        }
        var configuration = LLMClient.Configuration.openAI(apiKey: "sk-async")
        configuration.eventHandlers = [delivery]
        let client = LLMClient(configuration, transport: transport)
        _ = try await client.chat("hi", model: "gpt-4o-mini")
        await delivery.finish()
        #expect(
            handler.handled.withLock { $0 }
                == [.requestStarted, .attemptStarted, .responseHead, .requestSucceeded])
        #expect(delivery.deliveredCount == 4)
        #expect(delivery.droppedCount == 0)
    }

    @Test("a handler that falls behind never holds up the caller: the oldest waiting events are dropped and counted")
    func overflowDropsOldest() async {
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let handler = Recording(gate: gate)
        let delivery = AsyncEventDelivery(handler, capacity: 2)
        // The handler is stuck on the first event; the rest pile up in a buffer of two.
        delivery.handle(event(.requestStarted))
        for _ in 0..<500 where handler.entered.load(ordering: .relaxed) == 0 { try? await Task.sleep(for: .milliseconds(10)) }
        #expect(handler.entered.load(ordering: .relaxed) == 1)
        for call in 2...6 { delivery.handle(event(.requestStarted, call: UInt64(call))) }
        #expect(delivery.droppedCount == 3)
        for _ in 0..<3 { open.yield() }
        open.finish()
        await delivery.finish()
        #expect(delivery.deliveredCount == 3, "the first, then the two newest")
    }

    @Test("events after finish are ignored")
    func afterFinish() async {
        let handler = Recording()
        let delivery = AsyncEventDelivery(handler)
        delivery.handle(event(.requestStarted))
        await delivery.finish()
        delivery.handle(event(.requestSucceeded))
        await delivery.finish()
        #expect(handler.handled.withLock { $0 } == [.requestStarted])
    }
}
