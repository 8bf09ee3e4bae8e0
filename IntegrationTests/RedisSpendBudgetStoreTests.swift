import Sluice
import SluiceMockServer
import SluiceRedis
import SluiceTesting
import Testing

/// A prompt estimate above what the mock server counts for these short prompts, so each call's
/// hold is a true worst case.
private struct SixtyFourTokens: TokenEstimator {
    func estimateInputTokens(_ request: ChatRequest) -> Int { 64 }
    func estimateInputTokens(_ request: EmbeddingsRequest) -> Int { 64 }
}

/// What only a shared budget store does: several clients (standing for replicas) on one
/// redis-server stop at a budget together; holds are all or none; nothing secret is stored; a dead
/// process's hold ends; failures follow the policy.
@Suite("Redis spend-budget store against redis-server", .serialized)
struct RedisSpendBudgetStoreTests {
    static func store(
        _ server: RedisTestServer, policy: RedisSpendBudgetStore.FailurePolicy = .failClosed, holdLifetime: Duration = .seconds(900)
    ) -> RedisSpendBudgetStore {
        var configuration = RedisSpendBudgetStore.Configuration(redis: server.configuration)
        configuration.failurePolicy = policy
        configuration.holdLifetime = holdLifetime
        return RedisSpendBudgetStore(configuration: configuration)
    }

    @Test("two replicas sharing one Redis budget stop at the budget together, never above it")
    func replicasStopTogether() async throws {
        var serverConfiguration = MockServerConfiguration()
        serverConfiguration.replyTokens = 8
        try await MockLLMServer.withRunning(serverConfiguration) { server in
            try await RedisTestServer.with { redis in
                let limit = Cost(nanodollars: 100_000)  // $0.0001: about seven calls, in all
                let stores = [Self.store(redis), Self.store(redis)]
                var clients: [LLMClient] = []
                for store in stores {
                    var configuration = LLMClient.Configuration.openAI(apiKey: "KEY-MARKER-replica", baseURL: server.baseURL + "/v1")
                    configuration.tokenEstimator = SixtyFourTokens()
                    configuration.retryPolicy = .disabled
                    try configuration.setBudgets([SpendBudget("shared-usd", maxCost: limit)])
                    configuration.budgetStore = store
                    clients.append(try LLMClient(configuration))
                }
                // gpt-4o-mini at the default prices: a worst case of 64 × 150 + 8 × 600 = 14,400 n$.
                // Settlements are sent without waiting, so a call may be refused while the one before
                // still holds its worst case: each round ends when both replicas are refused, then
                // waits for the holds to settle, until a refusal leaves less than one call's room.
                var succeeded = [0, 0]
                var refusals: [SluiceError?] = [nil, nil]
                var status: SpendBudgetStatus?
                for round in 0..<5 where round == 0 || (status?.remainingCost?.nanodollars ?? 0) >= 14_400 {
                    refusals = [nil, nil]
                    for index in 0..<40 where refusals[0] == nil || refusals[1] == nil {
                        let replica = index % 2
                        guard refusals[replica] == nil else { continue }
                        let request = ChatRequest(model: "gpt-4o-mini", messages: [.user("Ticket #\(index)")], maxOutputTokens: 8)
                        do {
                            _ = try await clients[replica].chat(request)
                            succeeded[replica] += 1
                        } catch let error as SluiceError {
                            refusals[replica] = error
                        }
                    }
                    for _ in 0..<100 {
                        status = await clients[0].sharedBudgetStatus().first
                        if status?.reservedCost == .zero { break }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
                for refusal in refusals {
                    #expect(refusal?.code == .budgetExceeded)
                    #expect(refusal?.message.contains("shared-usd") == true)
                    #expect(!String(describing: refusal).contains("KEY-MARKER"))
                }
                // Both replicas spent, and together no more than the one budget (a lone replica
                // with its own count would have spent the whole budget by itself).
                #expect(succeeded[0] >= 1 && succeeded[1] >= 1)
                let shared = try #require(status)
                #expect(await clients[1].sharedBudgetStatus().first == shared)
                #expect(shared.spentCost <= limit)
                #expect(limit.nanodollars - shared.spentCost.nanodollars < 14_400)
                #expect(shared.reservedCost == .zero)
                #expect(clients[0].budgetStatus.isEmpty)
                for client in clients { await client.shutdown() }
                for store in stores { await store.close() }
            }
        }
    }

    @Test("a hold is all or none: an account that refuses leaves the others untouched")
    func allOrNone() async throws {
        try await RedisTestServer.with { redis in
            let store = Self.store(redis)
            let wide = SpendBudgetAccount(budget: try SpendBudget("wide", maxTokens: 1_000))
            let narrow = SpendBudgetAccount(budget: try SpendBudget("narrow", scope: .everyTenant, maxTokens: 50), instance: "acme")
            guard case .reserved(let first) = try await store.reserve(SpendBudgetRequest(accounts: [wide, narrow], tokens: 40, cost: .zero))
            else { Issue.record("the first hold was refused"); return }
            let refused = try await store.reserve(SpendBudgetRequest(accounts: [wide, narrow], tokens: 40, cost: .zero))
            guard case .refused(let status) = refused else { Issue.record("the second hold was taken"); return }
            #expect(status.budget.name == "narrow")
            #expect(status.instance == "acme")
            #expect(status.reservedTokens == 40)
            var statuses = await store.status(of: [wide.budget, narrow.budget])
            #expect(statuses.map(\.reservedTokens) == [40, 40])
            store.settle(first, tokens: 30, cost: .zero)
            for _ in 0..<100 where await store.status(of: [wide.budget]).first?.spentTokens != 30 {
                try await Task.sleep(for: .milliseconds(20))
            }
            // Settling twice (a retried settlement) counts once.
            store.settle(first, tokens: 30, cost: .zero)
            try await Task.sleep(for: .milliseconds(200))
            statuses = await store.status(of: [wide.budget, narrow.budget])
            #expect(statuses.map(\.spentTokens) == [30, 30])
            #expect(statuses.map(\.reservedTokens) == [0, 0])
            #expect(statuses[1].instance == "acme")
            await store.close()
        }
    }

    @Test("Redis holds fingerprints and numbers only: no key, no tenant, and bounded keys for any tenant name")
    func nothingSecretStored() async throws {
        try await RedisTestServer.with { redis in
            let store = Self.store(redis)
            let budget = try SpendBudget("tenant-marker-budget", scope: .everyTenant, window: .fixed(.seconds(3_600)), maxTokens: 1_000)
            let perKey = try SpendBudget("per-key", scope: .everyKey, maxTokens: 1_000)
            let long = "tenant-secret-marker-" + String(repeating: "x", count: 10_000)
            let key = KeyID(apiKey: "sk-budget-secret-marker")
            let decision = try await store.reserve(
                SpendBudgetRequest(
                    accounts: [SpendBudgetAccount(budget: budget, instance: long), SpendBudgetAccount(budget: perKey, instance: key.rawValue)],
                    tokens: 10, cost: .zero))
            guard case .reserved = decision else { Issue.record("refused"); return }
            let connection = try await RedisConnection.connect(to: redis.configuration)
            let names = try await connection.send(["KEYS", "*"]).array?.compactMap(\.string) ?? []
            #expect(names.count == 4)  // a hash and a set of holds per account
            for name in names { #expect(name.utf8.count < 100) }
            let stored = names.joined(separator: " ")
            for secret in ["sk-", "secret-marker", key.rawValue, "tenant-marker-budget"] {
                #expect(!stored.contains(secret), "Redis key names hold \(secret)")
            }
            // A fixed window's keys expire after the window (and a lease).
            let hash = try #require(names.first { $0.hasPrefix("sluice:budget:") && !$0.hasSuffix(":h") && !$0.hasSuffix(":0") })
            let ttl = try await connection.send(["PTTL", hash]).integer ?? -1
            #expect(ttl > 0 && ttl <= 3_600_000 + 900_000)
            await connection.close()
            await store.close()
        }
    }

    @Test("a hold whose lease ends unsettled (its process died) counts as spent at its worst case")
    func expiredHoldCounted() async throws {
        try await RedisTestServer.with { redis in
            let dead = Self.store(redis, holdLifetime: .milliseconds(50))
            let live = Self.store(redis)
            let account = SpendBudgetAccount(budget: try SpendBudget("leases", maxTokens: 100))
            guard case .reserved = try await dead.reserve(SpendBudgetRequest(accounts: [account], tokens: 60, cost: .zero)) else {
                Issue.record("refused"); return
            }
            await dead.close()  // never settles
            try await Task.sleep(for: .milliseconds(150))
            let refused = try await live.reserve(SpendBudgetRequest(accounts: [account], tokens: 60, cost: .zero))
            guard case .refused(let status) = refused else { Issue.record("the dead hold was not counted"); return }
            #expect(status.spentTokens == 60)
            #expect(status.reservedTokens == 0)
            guard case .reserved = try await live.reserve(SpendBudgetRequest(accounts: [account], tokens: 40, cost: .zero)) else {
                Issue.record("refused what fits"); return
            }
            await live.close()
        }
    }

    @Test("Redis unreachable: fail closed fails typed; fall back counts locally against the share")
    func unreachable() async throws {
        let redis = RedisConfiguration(host: "127.0.0.1", port: try curlUnusedPort())
        let account = SpendBudgetAccount(budget: try SpendBudget("offline", maxTokens: 100))
        let request = SpendBudgetRequest(accounts: [account], tokens: 30, cost: .zero)

        let failing = RedisSpendBudgetStore(configuration: RedisSpendBudgetStore.Configuration(redis: redis))
        let error = await #expect(throws: SluiceError.self) { try await failing.reserve(request) }
        #expect(error?.code == .budgetStoreUnavailable)
        await failing.close()

        let events = Recorded<RateLimitStoreEvent>()
        var open = RedisSpendBudgetStore.Configuration(redis: redis)
        open.failurePolicy = .fallBackToLocal(share: 0.5)
        open.onEvent = events.record
        let local = RedisSpendBudgetStore(configuration: open)
        guard case .reserved(let hold) = try await local.reserve(request) else { Issue.record("refused"); return }
        guard case .refused(let status) = try await local.reserve(request) else { Issue.record("the share was exceeded"); return }
        #expect(status.budget.maxTokens == 50)
        local.settle(hold, tokens: 0, cost: .zero)
        guard case .reserved = try await local.reserve(request) else { Issue.record("the settled hold was kept"); return }
        #expect(events.all.filter { $0.kind == .fallbackEntered }.count == 1)
        await local.close()
    }
}
