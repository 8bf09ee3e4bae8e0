import Sluice
import SluiceMockServer
import Synchronization
import Testing

/// A rate-limit store that counts what passes through it, wrapping the in-memory one: every
/// reservation must be settled exactly once, whatever ended its call.
final class SettlementAuditStore: RateLimitStore {
    private let base: InMemoryRateLimitStore
    private let state = Mutex((reserved: Set<RateLimitReservation.ID>(), settled: [RateLimitReservation.ID: Int]()))

    init(base: InMemoryRateLimitStore) { self.base = base }

    nonisolated(nonsending) func reserve(_ request: RateLimitReservationRequest) async throws -> RateLimitReservation {
        let reservation = try await base.reserve(request)
        state.withLock { _ = $0.reserved.insert(reservation.id) }
        return reservation
    }

    func settle(_ reservation: RateLimitReservation, charge: RateLimitCost) {
        state.withLock { $0.settled[reservation.id, default: 0] += 1 }
        base.settle(reservation, charge: charge)
    }

    nonisolated(nonsending) func sync(_ reservation: RateLimitReservation, with observation: RateLimitObservation) async -> Bool {
        await base.sync(reservation, with: observation)
    }

    nonisolated(nonsending) func cooldown(_ bucket: RateLimitBucketID, until: Duration) async {
        await base.cooldown(bucket, until: until)
    }

    nonisolated(nonsending) func state(of bucket: RateLimitBucketID) async -> RateLimitBucketState? {
        await base.state(of: bucket)
    }

    /// Reservations made, reservations never settled, and reservations settled more than once.
    var audit: (reserved: Int, unsettled: Int, settledTwice: Int) {
        state.withLock { state in
            let unsettled = state.reserved.filter { state.settled[$0] == nil }.count
            let twice = state.settled.values.filter { $0 > 1 }.count
            return (state.reserved.count, unsettled, twice)
        }
    }
}

/// 2,000 calls, a third of them streamed, against the mock server injecting faults into a fifth of
/// its answers, each call cancelled at a random moment: before admission, while it waits for rate
/// budget or a permit, mid-transfer or mid-stream. Afterwards nothing may be left behind: no permit
/// held, no curl transfer alive, no request in flight at the server, every rate-limit reservation
/// settled exactly once.
@Suite("Cancellation storm", .serialized, .timeLimit(.minutes(3)))
struct CancellationStormTests {
    static let key = "KEY-MARKER-storm"

    @Test("2,000 calls cancelled at random points leave no permit, transfer, or unsettled reservation behind")
    func storm() async throws {
        var serverConfiguration = MockServerConfiguration()
        serverConfiguration.replyTokens = 12
        serverConfiguration.latency = MockLatency(perToken: .milliseconds(2))
        serverConfiguration.faults = MockFaultPlan(
            seed: 11,
            [
                .init(fault: .serverError(503), probability: 0.04),
                .init(fault: .rateLimited(retryAfter: .milliseconds(20)), probability: 0.03),
                .init(fault: .dropConnection(afterTokens: 3), probability: 0.03),
                .init(fault: .stall(afterTokens: 2, duration: .seconds(5)), probability: 0.03),
                .init(fault: .malformedSSE(afterTokens: 4), probability: 0.02),
                .init(fault: .errorEvent(afterTokens: 5), probability: 0.02),
                .init(fault: .headDelay(.milliseconds(50)), probability: 0.03),
            ])
        try await MockLLMServer.withRunning(serverConfiguration) { server in
            let transport = try CurlTransport(configuration: CurlTransport.Configuration())
            let store = SettlementAuditStore(base: InMemoryRateLimitStore())
            var configuration = LLMClient.Configuration.openAI(apiKey: Self.key, baseURL: server.baseURL + "/v1")
            configuration.rateLimits = RateLimitMiddleware.Configuration(
                keys: [APIKey(Self.key, limits: RateLimits(requestsPerMinute: 60_000, requestBurst: 40))],
                safetyMargin: .none, store: store)
            configuration.concurrency = ConcurrencyLimits(maxConcurrentRequests: 24)
            configuration.timeouts.idle = .seconds(1)
            configuration.timeouts.total = .seconds(10)
            configuration.retryPolicy = try RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(5), maxBackoff: .milliseconds(20))
            let client = LLMClient(configuration, transport: transport)

            let outcomes = OutcomeCounts()
            var random = StormRandom(seed: 2026)
            let total = 2_000
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<total {
                    // At most 64 calls at once: the storm is bounded in count and in time.
                    if index >= 64 { await group.next() }
                    let streamed = index % 3 == 0
                    // Cancel at once (before admission), soon (queued or mid-transfer), later
                    // (mid-stream), or only once the call has ended (`nil`).
                    let cancelAfter: Duration? =
                        switch random.next() % 5 {
                        case 0: .zero
                        case 1: .microseconds(Int64(random.next() % 2_000))
                        case 2: .milliseconds(Int64(random.next() % 30))
                        case 3: .milliseconds(Int64(30 + random.next() % 400))
                        default: nil
                        }
                    group.addTask {
                        let call = Task {
                            let request = ChatRequest(model: "gpt-4o-mini", messages: [.user("storm \(index)")], maxOutputTokens: 16)
                            if streamed {
                                _ = try await client.streamChat(request) { _ in }
                            } else {
                                _ = try await client.chat(request)
                            }
                        }
                        if let cancelAfter {
                            if cancelAfter > .zero { try? await Task.sleep(for: cancelAfter) }
                        } else {
                            _ = await call.result
                        }
                        call.cancel()
                        let outcome: String
                        switch await call.result {
                        case .success: outcome = "succeeded"
                        case .failure(let error as SluiceError): outcome = error.code.name
                        case .failure(is CancellationError): outcome = "cancelled"
                        case .failure(let error): outcome = "other: \(type(of: error))"
                        }
                        outcomes.add(outcome)
                    }
                }
            }

            let counts = outcomes.all
            #expect(counts.values.reduce(0, +) == total)
            #expect(counts.keys.allSatisfy { !$0.hasPrefix("other") }, "\(counts)")
            // Cancellation must have hit calls at every stage, and some calls must have finished.
            #expect((counts["succeeded"] ?? 0) > 0, "\(counts)")
            print("storm outcomes: \(counts.sorted { $0.key < $1.key })")
            #expect((counts["cancelled"] ?? 0) > 0, "\(counts)")

            // Every handle is freed on the transport's loop thread shortly after its call ends.
            for _ in 0..<500 where transport.activeTransferCount > 0 || server.stats.inFlight > 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(transport.activeTransferCount == 0)
            #expect(server.stats.inFlight == 0)
            #expect(client.concurrencyGauges == ConcurrencyGauges())
            let audit = store.audit
            #expect(audit.reserved > 0)
            #expect(audit.unsettled == 0, "\(audit.unsettled) of \(audit.reserved) reservations never settled")
            #expect(audit.settledTwice == 0)
            await client.shutdown()
            await transport.shutdown()
        }
    }
}

/// How the storm's calls ended, counted from many tasks.
final class OutcomeCounts: Sendable {
    private let counts = Mutex([String: Int]())
    func add(_ outcome: String) { counts.withLock { $0[outcome, default: 0] += 1 } }
    var all: [String: Int] { counts.withLock { $0 } }
}

/// A seeded linear congruential generator (Knuth's MMIX constants): enough to spread cancellation
/// times, and a failing storm can be replayed.
struct StormRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 33
    }
}
