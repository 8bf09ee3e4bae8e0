import Sluice

// The Swift samples of the doc comments in Sources/Sluice/Routing and Budgets, each inside a function
// whose parameters supply what the sample leaves to the reader. This file compiling is what keeps
// those samples compiling; `DocumentationSamplesTests` checks that they are here line for line.
// Change them together. The functions are compiled, not run.

enum RoutingSymbolSamples {
    // MARK: Routing

    /// CircuitBreakerPolicy
    static func circuitBreaker() -> CircuitBreakerPolicy {
        let breaker = CircuitBreakerPolicy(consecutiveFailures: 3, openDuration: .seconds(10))
        return breaker
    }

    /// Deployment
    static func deployments(openAIClient: LLMClient, azureClient: LLMClient) -> [Deployment] {
        let primary = Deployment(name: "openai", client: openAIClient, model: "gpt-4o-mini")
        let secondary = Deployment(name: "azure-eu", client: azureClient)
        return [primary, secondary]
    }

    /// LLMRouter
    static func router(primaryClient: LLMClient, secondaryClient: LLMClient) async throws -> ChatResponse {
        let router = try LLMRouter([
            Deployment(name: "primary", client: primaryClient),
            Deployment(name: "secondary", client: secondaryClient, model: "gpt-4o-mini"),
        ])
        let reply = try await router.chat(ChatRequest(model: "gpt-4o", messages: [.user("Hi")]))
        return reply
    }

    /// LLMRouter.chatStream(_:options:)
    struct ReturnedStream {
        let router: LLMRouter

        func answer(_ question: String) -> ChatEventStream {
            router.chatStream(ChatRequest(model: "gpt-4o-mini", messages: [.user(question)]))
        }
    }

    /// CircuitBreakerStore
    static func sharedCircuits(deployments: [Deployment], sharedBreakers: any CircuitBreakerStore) throws -> LLMRouter {
        let router = try LLMRouter(deployments, breakerStore: sharedBreakers)
        return router
    }

    /// SpendBudgetStore
    static func sharedBudgets(key: String, sharedBudgets: any SpendBudgetStore) throws -> LLMClient.Configuration {
        var configuration = LLMClient.Configuration.openAI(apiKey: key)
        try configuration.setBudgets([SpendBudget("daily", window: .fixed(.seconds(86_400)), maxUSD: 50)])
        configuration.budgetStore = sharedBudgets
        return configuration
    }

    /// RoutingPolicy
    static func routingPolicy() -> RoutingPolicy {
        var policy = RoutingPolicy(strategy: .leastBusy)
        policy.fallbackOn.remove(.contextWindowExceeded)   // every deployment serves the same model
        policy.circuitBreaker = CircuitBreakerPolicy(consecutiveFailures: 3)
        return policy
    }

    // MARK: Budgets

    /// CallOptions.tenant
    static func tenant() -> CallOptions {
        var options = CallOptions()
        options.tenant = "acme"
        return options
    }

    /// SpendBudget
    static func spendBudgets() throws -> [SpendBudget] {
        let perTenant = try SpendBudget("tenant-daily", scope: .everyTenant, window: .fixed(.seconds(86_400)), maxUSD: 5)
        let total = try SpendBudget("client-total", maxTokens: 2_000_000)
        return [perTenant, total]
    }

    /// LLMClient.Configuration.setBudgets
    static func setBudgets(configuration: inout LLMClient.Configuration) throws {
        try configuration.setBudgets([
            SpendBudget("deployment-daily", window: .fixed(.seconds(86_400)), maxUSD: 50),
            SpendBudget("per-tenant", scope: .everyTenant, maxTokens: 1_000_000),
        ])
    }
}
