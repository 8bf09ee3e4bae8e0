import Sluice
import SluiceMockServer
import SluiceRedis
import Testing

// The Swift samples of README.md (and of a few articles) that need the mock server or SluiceRedis (the samples of the
// article "Testing your service with the mock server" are in TestingArticleTests.swift). This file
// compiling is what keeps them compiling; `DocumentationSamplesTests` (in Tests/SluiceTests) checks
// that they are here line for line. Change them together.

enum ReadmeIntegrationSamples {
    /// README, "Limits, retries and timeouts": the shared store.
    static func sharedLimits(configuration: inout LLMClient.Configuration) throws {
        let store = RedisRateLimitStore(configuration: try .init(url: "redis://127.0.0.1:6379/0"))
        configuration.rateLimits?.store = store
        configuration.concurrencyStore = store.concurrencyPermits
    }

    /// SpendBudgets.md, "Sharing budgets across processes": the shared store.
    static func sharedBudgets(configuration: inout LLMClient.Configuration) throws {
        let budgets = RedisSpendBudgetStore(configuration: try .init(url: "redis://127.0.0.1:6379/0"))
        try configuration.setBudgets([SpendBudget("daily", window: .fixed(.seconds(86_400)), maxUSD: 50)])
        configuration.budgetStore = budgets
    }

    /// SpendBudgets.md, "Sharing budgets across processes": the status across processes.
    static func sharedBudgetStatus(client: LLMClient) async {
        for status in await client.sharedBudgetStatus() {
            print(status.budget.name, status.instance ?? "", status.spentCost, status.reservedCost)
        }
    }

    /// README, "The mock LLM server" (compiled, not run: the README leaves the client to the reader).
    static func mockServer() async throws {
        var configuration = MockServerConfiguration()
        configuration.keys = [MockAPIKey(name: "tenant-a", secret: "test-key",
                                         limits: MockRateLimits(requestsPerMinute: 60, tokensPerMinute: 40_000))]
        try await MockLLMServer.withRunning(configuration) { server in
            server.enqueue([.fault(.rateLimited()), .fault(.dropConnection(afterTokens: 3)), .success])
            // … point your client at server.baseURL …
            #expect(server.stats[key: "tenant-a"].rateLimited == 0)
        }
    }
}
