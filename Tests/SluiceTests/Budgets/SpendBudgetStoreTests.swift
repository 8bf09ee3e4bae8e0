import Sluice
import SluiceTesting
import Synchronization
import Testing

/// A store that answers every reservation with a fixed decision or error, and records what it saw.
private final class ScriptedStore: SpendBudgetStore {
    enum Answer: Sendable {
        case refuse
        case fail
    }

    let answer: Answer
    let requests = Mutex<[SpendBudgetRequest]>([])

    init(_ answer: Answer) { self.answer = answer }

    nonisolated(nonsending) func reserve(_ request: SpendBudgetRequest) async throws -> SpendBudgetDecision {
        requests.withLock { $0.append(request) }
        switch answer {
        case .refuse:
            let account = request.accounts[0]
            return .refused(SpendBudgetStatus(budget: account.budget, instance: account.instance, spentTokens: 1_000))
        case .fail:
            throw SluiceError(.budgetStoreUnavailable, "the scripted store is down")
        }
    }

    func settle(_ hold: SpendBudgetHold, tokens: Int, cost: Cost) {}

    nonisolated(nonsending) func status(of budgets: [SpendBudget]) async -> [SpendBudgetStatus] { [] }
}

@Suite("Spend-budget stores")
struct SpendBudgetStoreTests {
    @Test("the in-memory store holds on every account or on none")
    func allOrNone() throws {
        let store = InMemorySpendBudgetStore(clock: TestClock())
        let wide = SpendBudgetAccount(budget: try SpendBudget("wide", maxTokens: 1_000))
        let narrow = SpendBudgetAccount(budget: try SpendBudget("narrow", scope: .everyTenant, maxTokens: 50), instance: "acme")
        guard case .reserved(let hold) = store.reserveNow(SpendBudgetRequest(accounts: [wide, narrow], tokens: 40, cost: .zero)) else {
            Issue.record("the first hold was refused")
            return
        }
        guard case .refused(let status) = store.reserveNow(SpendBudgetRequest(accounts: [wide, narrow], tokens: 40, cost: .zero))
        else {
            Issue.record("the second hold was taken")
            return
        }
        #expect(status.budget.name == "narrow")
        #expect(status.instance == "acme")
        #expect(store.statusNow(of: [wide.budget, narrow.budget]).map(\.reservedTokens) == [40, 40])
        store.settle(hold, tokens: 25, cost: .zero)
        let settled = store.statusNow(of: [wide.budget, narrow.budget])
        #expect(settled.map(\.spentTokens) == [25, 25])
        #expect(settled.map(\.reservedTokens) == [0, 0])
    }

    @Test("tallies of tenants in past windows are dropped: memory stays bounded with many tenants")
    func pastWindowsPruned() throws {
        let clock = TestClock()
        let store = InMemorySpendBudgetStore(clock: clock)
        let budget = try SpendBudget("per-tenant", scope: .everyTenant, window: .fixed(.seconds(10)), maxTokens: 100)
        for window in 0..<10 {
            for tenant in 0..<500 {
                let account = SpendBudgetAccount(budget: budget, instance: "tenant-\(window)-\(tenant)")
                guard case .reserved(let hold) = store.reserveNow(SpendBudgetRequest(accounts: [account], tokens: 10, cost: .zero)) else {
                    Issue.record("refused")
                    return
                }
                store.settle(hold, tokens: 10, cost: .zero)
            }
            clock.advance(by: .seconds(10))
        }
        // 5,000 tenants seen; at most about two windows' worth kept.
        #expect(store.accountCount < 2_048)
        // A tenant of the current window keeps its spend.
        let account = SpendBudgetAccount(budget: budget, instance: "current")
        guard case .reserved(let hold) = store.reserveNow(SpendBudgetRequest(accounts: [account], tokens: 60, cost: .zero)) else {
            Issue.record("refused")
            return
        }
        store.settle(hold, tokens: 60, cost: .zero)
        guard case .refused = store.reserveNow(SpendBudgetRequest(accounts: [account], tokens: 60, cost: .zero)) else {
            Issue.record("the current window's spend was dropped")
            return
        }
    }

    @Test("a configured store decides: its refusal is a typed error naming the budget, nothing is sent")
    func configuredStoreRefuses() async throws {
        let store = ScriptedStore(.refuse)
        var configuration = LLMClient.Configuration.openAI(apiKey: "sk-STORE-SECRET-MARKER", baseURL: "http://127.0.0.1:1/v1")
        configuration.retryPolicy = .disabled
        configuration.prices = ["m": ModelPrice(input: 1, output: 2)]
        try configuration.setBudgets([SpendBudget("stored", maxTokens: 500)])
        configuration.budgetStore = store
        let transport = SpendBudgetTests.okTransport()
        let client = LLMClient(configuration, transport: transport)
        let error = await #expect(throws: SluiceError.self) { try await client.chat(SpendBudgetTests.request()) }
        #expect(error?.code == .budgetExceeded)
        #expect(error?.message.contains("\"stored\"") == true)
        #expect(error?.message.contains("spent 1000 tokens") == true)
        #expect(!String(describing: error).contains("STORE-SECRET"))
        #expect(transport.requests.isEmpty)
        #expect(store.requests.withLock { $0.first?.accounts.first?.budget.name } == "stored")
        #expect(client.budgetStatus.isEmpty)  // another store's status is read with sharedBudgetStatus()
    }

    @Test("a store that cannot answer fails the call with its typed error, nothing sent")
    func configuredStoreFails() async throws {
        var configuration = LLMClient.Configuration.openAI(apiKey: "sk-x", baseURL: "http://127.0.0.1:1/v1")
        configuration.retryPolicy = .disabled
        try configuration.setBudgets([SpendBudget("stored", maxTokens: 500)])
        configuration.budgetStore = ScriptedStore(.fail)
        let transport = SpendBudgetTests.okTransport()
        let client = LLMClient(configuration, transport: transport)
        let error = await #expect(throws: SluiceError.self) { try await client.chat(SpendBudgetTests.request()) }
        #expect(error?.code == .budgetStoreUnavailable)
        #expect(transport.requests.isEmpty)
    }

    @Test("two clients given one store share its budgets")
    func clientsShareAStore() async throws {
        let store = InMemorySpendBudgetStore(clock: TestClock())
        var clients: [LLMClient] = []
        for _ in 0..<2 {
            var configuration = LLMClient.Configuration.openAI(apiKey: "sk-x", baseURL: "http://127.0.0.1:1/v1")
            configuration.retryPolicy = .disabled
            try configuration.setBudgets([SpendBudget("shared", maxTokens: 50)])
            configuration.budgetStore = store
            clients.append(LLMClient(configuration, transport: SpendBudgetTests.okTransport()))
        }
        // Each call holds up to its estimate plus 10 output tokens and spends 15; 50 takes three.
        var succeeded = 0
        for index in 0..<6 {
            do {
                _ = try await clients[index % 2].chat(SpendBudgetTests.request())
                succeeded += 1
            } catch let error as SluiceError {
                #expect(error.code == .budgetExceeded)
            }
        }
        let statuses = await clients[1].sharedBudgetStatus()
        #expect(statuses.count == 1)
        #expect(statuses.first?.spentTokens == succeeded * 15)
        #expect((statuses.first?.spentTokens ?? 0) <= 50)
        #expect(succeeded >= 2)
    }
}
