import Sluice
import SluiceMockServer
import SluiceTesting
import SluiceRedis
import Testing

/// What only a shared store does: several stores (standing for processes) on one redis-server obey
/// one key's limits together, whatever their clocks; nothing secret is stored; failures follow the
/// policy.
@Suite("Redis rate-limit store against redis-server", .serialized)
struct RedisRateLimitStoreTests {
    static func store(_ server: RedisTestServer, policy: RedisRateLimitStore.FailurePolicy = .failClosed, clock: any SluiceClock = SystemClock.shared)
        -> RedisRateLimitStore
    {
        var configuration = RedisRateLimitStore.Configuration(redis: server.configuration)
        configuration.failurePolicy = policy
        return RedisRateLimitStore(configuration: configuration, clock: clock)
    }

    @Test("stores on several clocks share one key's limit: together they admit at its rate, in one queue")
    func sharedAcrossStores() async throws {
        try await RedisTestServer.with { server in
            // One store's clock is an hour ahead and another's a day behind: only durations reach Redis.
            let stores = [
                Self.store(server), Self.store(server, clock: ShiftedClock(offset: .seconds(3_600))),
                Self.store(server, clock: ShiftedClock(offset: .seconds(-86_400))),
            ]
            let limits = RateLimits(requestsPerMinute: 6_000, requestBurst: 5)  // 100 a second
            let bucket = RateLimitBucketID(keyID: KeyID(apiKey: "sk-shared"))
            let start = ContinuousClock.now
            let admitted = Recorded<Duration>()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<45 {
                    let store = stores[index % stores.count]
                    group.addTask {
                        _ = try await store.reserve(
                            RateLimitReservationRequest(
                                candidates: [RateLimitCandidate(bucket: bucket, limits: limits)], cost: RateLimitCost(requests: 1),
                                safetyMargin: .none))
                        admitted.record(ContinuousClock.now - start)
                    }
                }
                try await group.waitForAll()
            }
            let times = admitted.all.sorted()
            #expect(times.count == 45)
            // 5 at once, then 40 at 100 a second: the last no sooner than 0.4 s; at most 5 + 100 × t by t.
            #expect(times[44] >= .milliseconds(390))
            for (index, time) in times.enumerated() {
                let allowed = 5 + Int((Double(time.components.attoseconds) * 1e-16 + Double(time.components.seconds) * 100).rounded(.up))
                #expect(index + 1 <= allowed + 1, "admission \(index + 1) at \(time)")
            }
            for store in stores { await store.close() }
        }
    }

    @Test("Redis holds fingerprints and numbers only: no key, no key id, no label")
    func nothingSecretStored() async throws {
        try await RedisTestServer.with { server in
            let store = Self.store(server)
            let key = APIKey("sk-redis-secret-marker", limits: RateLimits(requestsPerMinute: 60, tokensPerMinute: 10_000))
            let labelled = APIKey("sk-other-secret-marker", label: "team-label-marker", limits: RateLimits(requestsPerMinute: 60))
            for apiKey in [key, labelled] {
                let reservation = try await store.reserve(
                    RateLimitReservationRequest(
                        candidates: [RateLimitCandidate(bucket: RateLimitBucketID(keyID: apiKey.id, model: "gpt-marker"), limits: apiKey.limits)],
                        cost: RateLimitCost(requests: 1, tokens: 100)))
                store.settle(reservation, charge: RateLimitCost(requests: 1, tokens: 40))
            }
            try await Task.sleep(for: .milliseconds(200))
            let connection = try await RedisConnection.connect(to: server.configuration)
            let names = try await connection.send(["KEYS", "*"]).array?.compactMap(\.string) ?? []
            #expect(names.count >= 2)
            var stored = names.joined(separator: " ")
            for name in names where !name.contains(":s:") {
                stored += " " + (try await connection.send(["HGETALL", name]).array?.compactMap(\.string).joined(separator: " ") ?? "")
            }
            for secret in ["sk-", "secret-marker", key.id.rawValue, "team-label-marker", "gpt-marker"] {
                #expect(!stored.contains(secret), "Redis holds \(secret)")
            }
            #expect(names.allSatisfy { $0.hasPrefix("sluice:rl:{") || $0 == "sluice:rl:epoch" })
            await connection.close()
            await store.close()
        }
    }

    @Test("a settlement applies once, even if it is sent twice")
    func settlementOnce() async throws {
        try await RedisTestServer.with { server in
            let store = Self.store(server)
            let bucket = RateLimitBucketID(keyID: KeyID(rawValue: "once"))
            let reservation = try await store.reserve(
                RateLimitReservationRequest(
                    candidates: [RateLimitCandidate(bucket: bucket, limits: RateLimits(tokensPerMinute: 60, tokenBurst: 1_000))],
                    cost: RateLimitCost(requests: 1, tokens: 1_000), safetyMargin: .none))
            store.settle(reservation, charge: RateLimitCost(requests: 1, tokens: 500))
            store.settle(reservation, charge: RateLimitCost(requests: 1, tokens: 500))
            try await RateLimitStoreConformanceTests.eventually { (await store.state(of: bucket)?.available[.tokens] ?? 0) >= 499 }
            try await Task.sleep(for: .milliseconds(200))
            let available = try #require(await store.state(of: bucket)?.available[.tokens])
            #expect(available < 600)
            await store.close()
        }
    }

    @Test("a key's new limits replace the stored rate and capacity; a settlement keeps them")
    func limitsReplaced() async throws {
        try await RedisTestServer.with { server in
            let store = Self.store(server)
            let bucket = RateLimitBucketID(keyID: KeyID(rawValue: "limits"))
            let connection = try await RedisConnection.connect(to: server.configuration)
            func reserve(_ limits: RateLimits) async throws -> RateLimitReservation {
                try await store.reserve(
                    RateLimitReservationRequest(
                        candidates: [RateLimitCandidate(bucket: bucket, limits: limits)],
                        cost: RateLimitCost(requests: 1, tokens: 10), safetyMargin: .none))
            }
            func stored(_ pattern: String = "sluice:rl:{*}") async throws -> [String: String] {
                let names = try await connection.send(["KEYS", pattern]).array?.compactMap(\.string) ?? []
                guard let hash = names.first(where: { !$0.contains(":s:") }) else { return [:] }
                let fields = try await connection.send(["HGETALL", hash]).array?.compactMap(\.string) ?? []
                let pairs = stride(from: 0, to: fields.count - 1, by: 2).map { (fields[$0], fields[$0 + 1]) }
                return Dictionary(uniqueKeysWithValues: pairs)
            }
            func limits(_ fields: [String: String]) -> [String?] { ["r1", "k1", "r2", "k2"].map { fields[$0] } }

            _ = try await reserve(RateLimits(requestsPerMinute: 6_000, tokensPerMinute: 60_000))
            #expect(limits(try await stored()) == ["100", "6000", "1000", "60000"])
            _ = try await reserve(RateLimits(requestsPerMinute: 6_000, tokensPerMinute: 60_000))
            #expect(limits(try await stored()) == ["100", "6000", "1000", "60000"])
            let smaller = RateLimits(requestsPerMinute: 600, tokensPerMinute: 60_000, tokenBurst: 5_000)
            let reservation = try await reserve(smaller)
            let changed = try await stored()
            #expect(limits(changed) == ["10", "600", "1000", "5000"])
            #expect(changed["l2"].flatMap(Double.init).map { $0 <= 4_990 } == true)
            store.settle(reservation, charge: RateLimitCost(requests: 1, tokens: 4))
            try await RateLimitStoreConformanceTests.eventually {
                ((try? await connection.send(["KEYS", "sluice:rl:{*}:s:*"]).array?.count) ?? 0) == 1
            }
            #expect(limits(try await stored()) == ["10", "600", "1000", "5000"])
            await connection.close()
            await store.close()
        }
    }

    @Test("Redis unreachable: fail closed fails typed; fall back limits locally to the share and reports it")
    func unreachable() async throws {
        let port = try curlUnusedPort()
        let redis = RedisConfiguration(host: "127.0.0.1", port: port)
        let limits = RateLimits(requestsPerMinute: 60, requestBurst: 4)
        let request = RateLimitReservationRequest(
            candidates: [RateLimitCandidate(bucket: RateLimitBucketID(keyID: KeyID(rawValue: "absent")), limits: limits)],
            cost: RateLimitCost(requests: 1), maxWait: .zero, safetyMargin: .none)

        var closed = RedisRateLimitStore.Configuration(redis: redis)
        closed.failurePolicy = .failClosed
        let failing = RedisRateLimitStore(configuration: closed)
        let error = await #expect(throws: SluiceError.self) { try await failing.reserve(request) }
        #expect(error?.code == .rateLimitStoreUnavailable)
        #expect(error?.cause is RedisError)
        await failing.close()

        let events = Recorded<RateLimitStoreEvent>()
        var open = RedisRateLimitStore.Configuration(redis: redis)
        open.failurePolicy = .fallBackToLocal(share: 0.5)
        open.onEvent = events.record
        let local = RedisRateLimitStore(configuration: open)
        _ = try await local.reserve(request)
        _ = try await local.reserve(request)
        let refused = await #expect(throws: SluiceError.self) { try await local.reserve(request) }
        #expect(refused?.code == .rateLimitWouldWait)
        let entered = events.all.filter { $0.kind == .fallbackEntered }
        #expect(entered.count == 1)
        await local.close()
    }
}

/// The system clock shifted by `offset`: a process whose clock is wrong.
struct ShiftedClock: SluiceClock {
    var offset: Duration
    var now: Duration { SystemClock.shared.now + offset }
    func sleep(until deadline: Duration) async throws { try await SystemClock.shared.sleep(until: deadline - offset) }
}

extension RedisRateLimitStoreTests {
    @Test("Redis gone then back empty: calls in the gap fall back, nothing crashes, and the lost buckets start empty, not full")
    func restart() async throws {
        let server = try await RedisTestServer.start()
        var restarted: RedisTestServer?
        defer { (restarted ?? server).stop() }
        let events = Recorded<RateLimitStoreEvent>()
        var configuration = RedisRateLimitStore.Configuration(redis: server.configuration)
        configuration.failurePolicy = .fallBackToLocal(share: 1)
        configuration.onEvent = events.record
        let store = RedisRateLimitStore(configuration: configuration)
        let limits = RateLimits(requestsPerMinute: 600, requestBurst: 10)  // 10 a second
        let bucket = RateLimitBucketID(keyID: KeyID(rawValue: "restart"))
        let request = RateLimitReservationRequest(
            candidates: [RateLimitCandidate(bucket: bucket, limits: limits)], cost: RateLimitCost(requests: 1), safetyMargin: .none)
        for _ in 0..<10 { _ = try await store.reserve(request) }

        // Redis goes away: calls fall back to a local bucket (full) instead of failing.
        server.stop()
        _ = try await store.reserve(request)
        #expect(events.all.contains { $0.kind == .fallbackEntered })
        // It comes back empty on the same port: once reconnected (after a backoff), the scripts are
        // loaded again and the bucket Redis lost starts empty, so a call waits for a refill.
        restarted = try await RedisTestServer.start(port: server.port)
        var queued = false
        for _ in 0..<50 where !queued {
            queued = try await store.reserve(request).queued
            if !queued { try await Task.sleep(for: .milliseconds(150)) }
        }
        #expect(queued)
        #expect(events.all.contains { $0.kind == .fallbackLeft })
        #expect(events.all.contains { $0.kind == .reconnected })
        #expect(events.all.contains { $0.kind == .scriptReloaded })
        await store.close()
    }
}

extension RedisRateLimitStoreTests {
    @Test("a client whose shared store is down still answers, and its handlers hear of the fallback")
    func clientHearsFallback() async throws {
        let port = try curlUnusedPort()
        var store = RedisRateLimitStore.Configuration(redis: RedisConfiguration(host: "127.0.0.1", port: port))
        store.failurePolicy = .fallBackToLocal(share: 0.5)
        let recorder = EventRecorder()
        try await MockLLMServer.withRunning(MockServerConfiguration()) { server in
            var configuration = LLMClient.Configuration.openAI(apiKey: "sk-store-events", baseURL: server.baseURL + "/v1")
            configuration.rateLimits = RateLimitMiddleware.Configuration(
                keys: [APIKey("sk-store-events", limits: RateLimits(requestsPerMinute: 600))],
                store: RedisRateLimitStore(configuration: store))
            configuration.eventHandlers = [recorder]
            try await withLLMClient(configuration) { client in
                let reply = try await client.chat(ChatRequest(model: "gpt-4o-mini", messages: [.user("hi")], maxOutputTokens: 8))
                #expect(!reply.text.isEmpty)
            }
        }
        let storeEvents = recorder.events(ofKind: .rateLimitStore)
        #expect(storeEvents.contains { $0.reason == RateLimitStoreEvent.Kind.fallbackEntered.name })
        #expect(storeEvents.contains { $0.reason == RateLimitStoreEvent.Kind.connectionLost.name && $0.text?.contains("sk-") == false })
    }
}

/// Concurrency permits shared through Redis: leases across stores, expiry of a dead holder's leases,
/// renewal of a live holder's.
@Suite("Redis concurrency permits against redis-server", .serialized)
struct RedisConcurrencyPermitTests {
    static func store(_ server: RedisTestServer, lifetime: Duration = .seconds(30)) -> RedisRateLimitStore {
        var configuration = RedisRateLimitStore.Configuration(redis: server.configuration)
        configuration.failurePolicy = .failClosed
        configuration.leaseLifetime = lifetime
        return RedisRateLimitStore(configuration: configuration)
    }

    @Test("a key's permits are shared: a third holder waits until one of two is given back")
    func shared() async throws {
        try await RedisTestServer.with { server in
            let first = Self.store(server)
            let second = Self.store(server)
            let key = KeyID(rawValue: "permits")
            let lease = try await first.concurrencyPermits.acquire(key: key, limit: 2, deadline: nil)
            _ = try await second.concurrencyPermits.acquire(key: key, limit: 2, deadline: nil)
            let refused = await #expect(throws: SluiceError.self) {
                try await second.concurrencyPermits.acquire(key: key, limit: 2, deadline: SystemClock.shared.now + .milliseconds(150))
            }
            #expect(refused?.code == .permitWaitExceedsDeadline)
            let start = SystemClock.shared.now
            let waiter = Task { try await second.concurrencyPermits.acquire(key: key, limit: 2, deadline: nil) }
            try await Task.sleep(for: .milliseconds(200))
            first.concurrencyPermits.release(lease)
            _ = try await waiter.value
            #expect(SystemClock.shared.now - start >= .milliseconds(200))
            // The first holder renews its lease, so the waiter can only have the permit from the
            // release; the bound just keeps a broken release from passing slowly.
            #expect(SystemClock.shared.now - start < .seconds(10))
            #expect(first.concurrencyPermits.heldCount == 0)
            #expect(second.concurrencyPermits.heldCount == 2)
            await first.close()
            await second.close()
        }
    }

    @Test("a holder that stops renewing (a killed process) frees its permits after the lease lifetime; a live one keeps them")
    func expiry() async throws {
        try await RedisTestServer.with { server in
            let live = Self.store(server, lifetime: .milliseconds(1_500))
            let dead = Self.store(server, lifetime: .milliseconds(1_500))
            let other = Self.store(server, lifetime: .milliseconds(1_500))
            let liveKey = KeyID(rawValue: "live")
            let deadKey = KeyID(rawValue: "dead")
            _ = try await live.concurrencyPermits.acquire(key: liveKey, limit: 1, deadline: nil)
            // The dead holder's lease is written after this instant, so it cannot expire before a
            // lifetime from it — however slowly a loaded machine gets to the next lines.
            let beforeLease = SystemClock.shared.now
            _ = try await dead.concurrencyPermits.acquire(key: deadKey, limit: 1, deadline: nil)
            await dead.close()  // no release, no renewal: as if killed
            _ = try await other.concurrencyPermits.acquire(key: deadKey, limit: 1, deadline: SystemClock.shared.now + .seconds(10))
            #expect(SystemClock.shared.now - beforeLease >= .milliseconds(1_400))
            // The live holder renews every 500 ms: after two lifetimes its permit is still taken.
            let refused = await #expect(throws: SluiceError.self) {
                try await other.concurrencyPermits.acquire(key: liveKey, limit: 1, deadline: SystemClock.shared.now + .seconds(3))
            }
            #expect(refused?.code == .permitWaitExceedsDeadline)
            await live.close()
            await other.close()
        }
    }

    @Test("a client with shared permits completes concurrent calls and gives every permit back")
    func client() async throws {
        try await RedisTestServer.with { server in
            let store = Self.store(server)
            let heldAtHead = Recorded<Int>()
            try await MockLLMServer.withRunning(MockServerConfiguration()) { mock in
                var configuration = LLMClient.Configuration.openAI(apiKey: "sk-permits", baseURL: mock.baseURL + "/v1")
                configuration.concurrency = ConcurrencyLimits(maxConcurrentRequestsPerKey: 2)
                configuration.concurrencyStore = store.concurrencyPermits
                configuration.eventHandlers = [HeldAtResponseHead(permits: store.concurrencyPermits, record: heldAtHead.record)]
                configuration.rateLimits = RateLimitMiddleware.Configuration(
                    keys: [APIKey("sk-permits", limits: RateLimits(requestsPerMinute: 6_000))], store: store)
                try await withLLMClient(configuration) { client in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for index in 0..<8 {
                            group.addTask {
                                let reply = try await client.chat(
                                    ChatRequest(model: "gpt-4o-mini", messages: [.user("call \(index)")], maxOutputTokens: 8))
                                #expect(!reply.text.isEmpty)
                            }
                        }
                        try await group.waitForAll()
                    }
                }
            }
            // Every response head arrived under a Redis lease, never more than the key's two at once.
            let held = heldAtHead.all
            #expect(held.count == 8)
            #expect(held.allSatisfy { (1...2).contains($0) })
            #expect(store.concurrencyPermits.heldCount == 0)
            await store.close()
        }
    }
}

/// Records how many Redis leases the store holds as each response head arrives.
private struct HeldAtResponseHead: ClientEventHandler {
    let permits: RedisConcurrencyPermits
    let record: @Sendable (Int) -> Void

    func handle(_ event: ClientEvent) {
        if event.kind == .responseHead { record(permits.heldCount) }
    }
}

extension RedisRateLimitStoreTests {
    /// A "Redis" that answers every command with what its argument says: `ok` (`+OK`, which no
    /// script load expects), `bytes` (bytes that are no RESP at all), `huge` (a bulk string
    /// announcing 1 GiB).
    static let impostorScript = #"""
        import os, socket, sys, threading
        port_file, mode = sys.argv[1], sys.argv[2]
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        with open(port_file + ".tmp", "w") as f:
            f.write(str(listener.getsockname()[1]))
        os.rename(port_file + ".tmp", port_file)
        replies = {"ok": b"+OK\r\n", "bytes": b"\x00\xffnot resp\r\n", "huge": b"$1073741824\r\nabc"}
        def serve(connection):
            try:
                while connection.recv(65536):
                    connection.sendall(replies[mode])
            except OSError:
                pass
        while True:
            connection, _ = listener.accept()
            threading.Thread(target=serve, args=(connection,), daemon=True).start()
        """#

    @Test("a server that answers garbage fails calls with a typed error (fail closed) or falls back, never crashes", arguments: ["ok", "bytes", "huge"])
    func impostor(mode: String) async throws {
        let server = try await LoopbackPythonProcess.start("redis-impostor", script: Self.impostorScript, arguments: [mode])
        defer { server.stop() }
        let request = RateLimitReservationRequest(
            candidates: [RateLimitCandidate(bucket: RateLimitBucketID(keyID: KeyID(rawValue: "impostor")), limits: RateLimits(requestsPerMinute: 60))],
            cost: RateLimitCost(requests: 1))
        var redis = RedisConfiguration(host: "127.0.0.1", port: server.port)
        redis.commandTimeout = .milliseconds(500)
        var closed = RedisRateLimitStore.Configuration(redis: redis)
        closed.failurePolicy = .failClosed
        let failing = RedisRateLimitStore(configuration: closed)
        let error = await #expect(throws: SluiceError.self) { try await failing.reserve(request) }
        #expect(error?.code == .rateLimitStoreUnavailable)
        #expect(error?.cause is RedisError)
        await failing.close()

        var open = RedisRateLimitStore.Configuration(redis: redis)
        open.failurePolicy = .fallBackToLocal(share: 1)
        let fallingBack = RedisRateLimitStore(configuration: open)
        let reservation = try await fallingBack.reserve(request)
        #expect(!reservation.queued)
        await fallingBack.close()
    }
}
