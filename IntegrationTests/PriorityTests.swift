import Sluice
import SluiceMockServer
import SluiceTesting
import Synchronization
import Testing

/// What the calls of one run came to, shared by the callers.
private final class PriorityTally: Sendable {
    let nextBatch = Atomic(0)
    let batchSucceeded = Atomic(0)
    let batchShed = Atomic(0)
    let interactiveSucceeded = Atomic(0)
    let failures = Mutex([String]())
}

/// Counts the calls a full queue shed, per priority.
private final class ShedCounter: ClientEventHandler {
    let batch = Atomic(0)
    let interactive = Atomic(0)

    func handle(_ event: ClientEvent) {
        guard event.kind == .loadShed else { return }
        if event.text == CallPriority.interactive.description {
            interactive.add(1, ordering: .relaxed)
        } else {
            batch.add(1, ordering: .relaxed)
        }
    }
}

/// Priorities and load shedding end to end: LLMClient over CurlTransport against the mock server on
/// loopback, with the limits on the client.
@Suite("Priorities and load shedding against the mock LLM server", .serialized)
struct PriorityTests {
    static let key = "KEY-MARKER-priorities"

    /// Options with `priority` and, when given, a `total` time limit.
    static func options(_ priority: CallPriority, total: Duration? = nil) -> CallOptions {
        var options = CallOptions()
        options.priority = priority
        if let total { options.timeouts = TimeoutPolicy(total: total) }
        return options
    }

    static func request(_ index: Int) -> ChatRequest {
        ChatRequest(model: "gpt-4o-mini", messages: [.user("Item \(index)")], maxOutputTokens: 4)
    }

    @Test("a batch of 1,000 low-priority calls does not delay 20 interactive calls beyond their deadlines")
    func interactiveBeforeBatch() async throws {
        // 40 requests a second and 100 waiters a key: a full queue of batch calls is 2.5 s of
        // budget, more than an interactive call's 2 s deadline, so an interactive call queued behind
        // it would be refused at once (as it is when sent as batch). 20 interactive calls need
        // 0.5 s of budget. A burst of 20 keeps the default margin (250 ms, 10 requests) below the
        // bucket's capacity.
        let rate = 2_400
        let batchCalls = 1_000
        let batchWorkers = 200
        let interactiveCalls = 20
        var serverConfiguration = MockServerConfiguration()
        serverConfiguration.replyTokens = 4
        serverConfiguration.latency = MockLatency(head: .milliseconds(10))
        try await MockLLMServer.withRunning(serverConfiguration) { server in
            var configuration = LLMClient.Configuration.openAI(apiKey: Self.key, baseURL: server.baseURL + "/v1")
            var rateLimits = RateLimitMiddleware.Configuration(
                apiKey: Self.key, limits: RateLimits(requestsPerMinute: rate, requestBurst: 20))
            rateLimits.queue = try AdmissionQueuePolicy(maxWaiting: 100)
            configuration.rateLimits = rateLimits
            var concurrency = ConcurrencyLimits(maxConcurrentRequests: 8)
            concurrency.queue = try AdmissionQueuePolicy(maxWaiting: 100)
            configuration.concurrency = concurrency
            let shed = ShedCounter()
            configuration.eventHandlers = [shed]
            try await withLLMClient(configuration) { client in
                let tally = PriorityTally()
                let batch = Self.options(.batch)
                let interactive = Self.options(.interactive, total: .seconds(2))
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<batchWorkers {
                        group.addTask {
                            while true {
                                let index = tally.nextBatch.add(1, ordering: .relaxed).oldValue
                                guard index < batchCalls else { return }
                                do {
                                    _ = try await client.chat(Self.request(index), options: batch)
                                    tally.batchSucceeded.add(1, ordering: .relaxed)
                                } catch let error as SluiceError where error.code == .loadShed {
                                    tally.batchShed.add(1, ordering: .relaxed)
                                } catch {
                                    tally.failures.withLock { $0.append("batch \(index): \(error)") }
                                }
                            }
                        }
                    }
                    // The interactive calls arrive once the batch has filled the queue.
                    for _ in 0..<500 where shed.batch.load(ordering: .relaxed) == 0 {
                        try? await Task.sleep(for: .milliseconds(10))
                    }
                    for index in 0..<interactiveCalls {
                        group.addTask {
                            do {
                                _ = try await client.chat(Self.request(-index - 1), options: interactive)
                                tally.interactiveSucceeded.add(1, ordering: .relaxed)
                            } catch {
                                tally.failures.withLock { $0.append("interactive \(index): \(error)") }
                            }
                        }
                    }
                }
                let failures = tally.failures.withLock { $0 }
                #expect(failures.isEmpty, "\(failures.count) calls failed otherwise: \(failures.prefix(3))")
                #expect(tally.interactiveSucceeded.load(ordering: .relaxed) == interactiveCalls)
                let succeeded = tally.batchSucceeded.load(ordering: .relaxed)
                let dropped = tally.batchShed.load(ordering: .relaxed)
                #expect(succeeded + dropped == batchCalls)
                #expect(dropped > 0, "the bounded queues shed part of the batch")
                #expect(dropped == shed.batch.load(ordering: .relaxed), "every shed call was reported")
                #expect(shed.interactive.load(ordering: .relaxed) == 0)
                #expect(server.stats.requests == succeeded + interactiveCalls)
            }
        }
    }
}
