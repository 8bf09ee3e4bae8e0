import Synchronization
import Sluice
import SluiceRedis
import Testing

/// The behaviour every ``RateLimitStore`` owes the rate limiter, run against the in-memory store
/// (the reference) and the Redis store on a real redis-server, on the real clock with refill rates
/// fast enough that each wait is a fraction of a second. Bounds are loose above (a loaded machine is
/// slow) and tight below (a store that admits early is wrong).
@Suite("Rate-limit store conformance", .serialized)
struct RateLimitStoreConformanceTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case inMemory = "in-memory"
        case redis

        var testDescription: String { rawValue }
    }

    static func withStore(_ kind: Kind, _ body: (any RateLimitStore) async throws -> Void) async throws {
        switch kind {
        case .inMemory:
            try await body(InMemoryRateLimitStore(clock: SystemClock.shared))
        case .redis:
            try await RedisTestServer.with { server in
                var configuration = RedisRateLimitStore.Configuration(redis: server.configuration)
                configuration.failurePolicy = .failClosed
                let store = RedisRateLimitStore(configuration: configuration)
                do {
                    try await body(store)
                } catch {
                    await store.close()
                    throw error
                }
                await store.close()
            }
        }
    }

    static let bucket = RateLimitBucketID(keyID: KeyID(rawValue: "conformance"))

    static func request(
        _ limits: RateLimits, _ cost: RateLimitCost, bucket: RateLimitBucketID = bucket, deadline: Duration? = nil,
        maxWait: Duration? = nil, onWait: (@Sendable (RateLimitWaitNotice) -> Void)? = nil
    ) -> RateLimitReservationRequest {
        RateLimitReservationRequest(
            candidates: [RateLimitCandidate(bucket: bucket, limits: limits)], cost: cost, deadline: deadline, maxWait: maxWait,
            safetyMargin: .none, onWait: onWait)
    }

    static func seconds(since start: Duration) -> Double {
        let elapsed = SystemClock.shared.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    @Test("admits at once while the bucket holds the cost, then makes the next request wait for the refill", arguments: Kind.allCases)
    func admitsThenWaits(kind: Kind) async throws {
        try await Self.withStore(kind) { store in
            let limits = RateLimits(requestsPerMinute: 120, requestBurst: 3)  // 2 a second
            let start = SystemClock.shared.now
            for _ in 0..<3 {
                let reservation = try await store.reserve(Self.request(limits, RateLimitCost(requests: 1)))
                #expect(!reservation.queued)
            }
            let notices = Notices()
            let beforeFourth = Self.seconds(since: start)
            let fourth = try await store.reserve(Self.request(limits, RateLimitCost(requests: 1), onWait: notices.record))
            // The bucket was full at the first request: the fourth goes one refill (0.5 s) after it.
            #expect(Self.seconds(since: start) >= 0.49)
            // It waited, unless the machine was so slow that the refill came before it asked.
            if beforeFourth < 0.4 {
                #expect(fourth.queued)
                let notice = try #require(notices.all.first)
                #expect(notice.reason == .requests)
                #expect(notice.delay > .zero && notice.delay <= .milliseconds(501))
            }
        }
    }

    @Test("a cost larger than the bucket's capacity fails at once with request_too_large", arguments: Kind.allCases)
    func tooLarge(kind: Kind) async throws {
        try await Self.withStore(kind) { store in
            let error = await #expect(throws: SluiceError.self) {
                try await store.reserve(Self.request(RateLimits(tokensPerMinute: 1_000), RateLimitCost(requests: 1, tokens: 1_001)))
            }
            #expect(error?.code == .requestTooLarge)
        }
    }

    @Test("a wait beyond the maximum wait or the deadline fails at once and charges nothing", arguments: Kind.allCases)
    func waitLimits(kind: Kind) async throws {
        try await Self.withStore(kind) { store in
            let limits = RateLimits(requestsPerMinute: 30, requestBurst: 1)  // one every 2 s
            let start = SystemClock.shared.now
            _ = try await store.reserve(Self.request(limits, RateLimitCost(requests: 1)))
            let waitError = await #expect(throws: SluiceError.self) {
                try await store.reserve(Self.request(limits, RateLimitCost(requests: 1), maxWait: .milliseconds(100)))
            }
            #expect(waitError?.code == .rateLimitWouldWait)
            let deadlineError = await #expect(throws: SluiceError.self) {
                try await store.reserve(
                    Self.request(limits, RateLimitCost(requests: 1), deadline: SystemClock.shared.now + .milliseconds(100)))
            }
            #expect(deadlineError?.code == .rateLimitWaitExceedsDeadline)
            // The refusals took nothing: the next request goes one refill after the first (2 s), not
            // three (6 s).
            _ = try await store.reserve(Self.request(limits, RateLimitCost(requests: 1), maxWait: .seconds(10)))
            #expect(Self.seconds(since: start) >= 1.99 && Self.seconds(since: start) < 4.5)
        }
    }

    @Test("settlement gives back what a request did not use, and takes what it used beyond", arguments: Kind.allCases)
    func settlement(kind: Kind) async throws {
        try await Self.withStore(kind) { store in
            let limits = RateLimits(tokensPerMinute: 600, tokenBurst: 1_000)  // 10 tokens a second
            let first = try await store.reserve(Self.request(limits, RateLimitCost(requests: 1, tokens: 1_000)))
            store.settle(first, charge: RateLimitCost(requests: 1, tokens: 100))
            try await Self.eventually { (await store.state(of: Self.bucket)?.available[.tokens] ?? 0) >= 899 }
            let second = try await store.reserve(Self.request(limits, RateLimitCost(requests: 1, tokens: 800)))
            #expect(!second.queued)
            store.settle(second, charge: RateLimitCost(requests: 1, tokens: 900))
            try await Self.eventually { (await store.state(of: Self.bucket)?.available[.tokens] ?? 1_000) < 50 }
        }
    }

    @Test("a cooldown holds admission until it ends", arguments: Kind.allCases)
    func cooldown(kind: Kind) async throws {
        try await Self.withStore(kind) { store in
            let limits = RateLimits(requestsPerMinute: 600)
            _ = try await store.reserve(Self.request(limits, RateLimitCost(requests: 1)))
            let start = SystemClock.shared.now
            await store.cooldown(Self.bucket, until: start + .milliseconds(600))
            let cooling = await store.state(of: Self.bucket)?.cooldownUntil != nil
            let notices = Notices()
            let beforeReserve = Self.seconds(since: start)
            let reservation = try await store.reserve(Self.request(limits, RateLimitCost(requests: 1), onWait: notices.record))
            #expect(Self.seconds(since: start) >= 0.58)
            // It waited on the cooldown, unless the machine was so slow that the cooldown ended first.
            if beforeReserve < 0.5 {
                #expect(cooling)
                #expect(reservation.queued)
                #expect(notices.all.first?.reason == .cooldown)
            }
        }
    }

    @Test("a reported remaining lowers the bucket to the report plus the refill, never raises it", arguments: Kind.allCases)
    func sync(kind: Kind) async throws {
        try await Self.withStore(kind) { store in
            let limits = RateLimits(requestsPerMinute: 6, requestBurst: 10)  // one in 10 s
            let reservation = try await store.reserve(Self.request(limits, RateLimitCost(requests: 1)))
            #expect(await !store.sync(reservation, with: RateLimitObservation(remaining: .init(requests: 100))))
            #expect(try #require(await store.state(of: Self.bucket)?.available[.requests]) > 8)
            #expect(await store.sync(reservation, with: RateLimitObservation(remaining: .init(requests: 0))))
            let available = try #require(await store.state(of: Self.bucket)?.available[.requests])
            #expect(available < 1)
            let refused = await #expect(throws: SluiceError.self) {
                try await store.reserve(Self.request(limits, RateLimitCost(requests: 1), maxWait: .zero))
            }
            #expect(refused?.code == .rateLimitWouldWait)
        }
    }

    @Test("requests are admitted in arrival order: a small one never overtakes a large one", arguments: Kind.allCases)
    func fifo(kind: Kind) async throws {
        try await Self.withStore(kind) { store in
            let limits = RateLimits(tokensPerMinute: 18_000, tokenBurst: 100)  // 300 tokens a second
            _ = try await store.reserve(Self.request(limits, RateLimitCost(requests: 1, tokens: 100)))
            let order = Notices()
            let waiting = Notices()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    _ = try await store.reserve(Self.request(limits, RateLimitCost(requests: 1, tokens: 100), onWait: waiting.record))
                    order.record(RateLimitWaitNotice(bucket: Self.bucket, delay: .zero, reason: .tokens))
                }
                // The small one arrives once the large one waits.
                while order.all.isEmpty && waiting.all.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
                group.addTask {
                    _ = try await store.reserve(Self.request(limits, RateLimitCost(requests: 1, tokens: 1)))
                    order.record(RateLimitWaitNotice(bucket: Self.bucket, delay: .zero, reason: .queue))
                }
                try await group.waitForAll()
            }
            #expect(order.all.map(\.reason) == [.tokens, .queue])
        }
    }

    @Test("a cancelled waiter throws CancellationError at once and gives its budget back", arguments: Kind.allCases)
    func cancellation(kind: Kind) async throws {
        try await Self.withStore(kind) { store in
            let limits = RateLimits(requestsPerMinute: 6, requestBurst: 1)  // one in 10 s
            _ = try await store.reserve(Self.request(limits, RateLimitCost(requests: 1)))
            let waiter = Task { try await store.reserve(Self.request(limits, RateLimitCost(requests: 1))) }
            try await Task.sleep(for: .milliseconds(100))
            let start = SystemClock.shared.now
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            #expect(Self.seconds(since: start) < 0.5)
            // Nothing of it stays charged: the level is about 0, not -1 (which would take 5 s to climb to -0.5).
            try await Self.eventually { (await store.state(of: Self.bucket)?.available[.requests] ?? -1) > -0.5 }
        }
    }

    @Test("of several keys, the one that admits soonest is chosen", arguments: Kind.allCases)
    func candidates(kind: Kind) async throws {
        try await Self.withStore(kind) { store in
            let limits = RateLimits(requestsPerMinute: 6, requestBurst: 1)  // one in 10 s
            let spare = RateLimitBucketID(keyID: KeyID(rawValue: "conformance-spare"))
            _ = try await store.reserve(Self.request(limits, RateLimitCost(requests: 1)))
            let request = RateLimitReservationRequest(
                candidates: [RateLimitCandidate(bucket: Self.bucket, limits: limits), RateLimitCandidate(bucket: spare, limits: limits)],
                cost: RateLimitCost(requests: 1), safetyMargin: .none)
            let reservation = try await store.reserve(request)
            #expect(reservation.bucket == spare)
            #expect(!reservation.queued)
        }
    }

    /// Waits (up to 3 s) until `condition` holds: settlement may reach a shared store a little later.
    static func eventually(_ condition: () async -> Bool) async throws {
        let deadline = SystemClock.shared.now + .seconds(3)
        while SystemClock.shared.now < deadline {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(await condition(), "the condition did not hold within 3 s")
    }
}

/// Values recorded from concurrent callers, in order.
final class Recorded<Value: Sendable>: Sendable {
    private let list = Mutex<[Value]>([])

    init() {}

    var record: @Sendable (Value) -> Void { { [self] value in list.withLock { $0.append(value) } } }
    var all: [Value] { list.withLock { $0 } }
}

typealias Notices = Recorded<RateLimitWaitNotice>
