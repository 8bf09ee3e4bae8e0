// Spend budgets: a cap in dollars for the whole client, and one in tokens per tenant.
//
//     swift run ExampleSpendBudgets
//
// Runs against the mock LLM server started in-process on 127.0.0.1, or against OpenAI or Anthropic
// when OPENAI_API_KEY or ANTHROPIC_API_KEY is set (then it spends at most $0.001).
import Sluice
import SluiceMockServer

func run(_ base: LLMClient.Configuration, model: String) async throws {
    var configuration = base
    try configuration.setBudgets([
        SpendBudget("deployment", window: .fixed(.seconds(3_600)), maxUSD: 0.001),
        SpendBudget("per-tenant", scope: .everyTenant, maxTokens: 300),
    ])

    try await withLLMClient(configuration) { client in
        for tenant in ["acme", "globex", "acme", "acme", "acme"] {
            var options = CallOptions()
            options.tenant = tenant
            let request = ChatRequest(model: model, messages: [.user("Name a river.")], maxOutputTokens: 100)
            do {
                let reply = try await client.chat(request, options: options)
                print("\(tenant): \(reply.text)")
            } catch let error as SluiceError where error.code == .budgetExceeded {
                print("\(tenant): refused, \(error.message)")
            }
        }
        for status in client.budgetStatus {
            print(status.budget.name, status.instance ?? "", status.spentCost, status.spentTokens)
        }
    }
}

// A real provider when its key is in the environment, else the embedded mock server.
if let configuration = try? LLMClient.Configuration.fromEnvironment() {
    let model = configuration.adapter.provider == .anthropic ? "claude-haiku-4-5" : "gpt-4o-mini"
    try await run(configuration, model: model)
} else {
    try await MockLLMServer.withRunning(MockServerConfiguration(replyTokens: 100)) { server in
        try await run(.openAI(apiKey: "sk-mock", baseURL: server.baseURL + "/v1"), model: "gpt-4o-mini")
    }
}
