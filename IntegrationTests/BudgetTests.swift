import Sluice
import SluiceMockServer
import SluiceTesting
import Testing

/// A prompt estimate above what the mock server counts for these short prompts, so each call's
/// reservation is a true worst case (the budget's guarantee rests on the estimate; see SpendBudget).
private struct GenerousEstimator: TokenEstimator {
    func estimateInputTokens(_ request: ChatRequest) -> Int { 64 }
    func estimateInputTokens(_ request: EmbeddingsRequest) -> Int { 64 }
}

@Suite("Spend budgets against the mock server")
struct BudgetTests {
    @Test("a budget of N USD stops calls at the budget: refused with a typed error, spend within one call of N and never above")
    func usdBudget() async throws {
        var serverConfiguration = MockServerConfiguration()
        serverConfiguration.replyTokens = 8
        try await MockLLMServer.withRunning(serverConfiguration) { server in
            var configuration = LLMClient.Configuration.openAI(apiKey: "KEY-MARKER-budget", baseURL: server.baseURL + "/v1")
            configuration.tokenEstimator = GenerousEstimator()
            let limit = Cost(nanodollars: 100_000)  // $0.0001
            try configuration.setBudgets([SpendBudget("integration-usd", maxCost: limit)])
            let tracker = UsageTracker()
            let events = EventRecorder()
            configuration.eventHandlers = [tracker, events]
            try await withLLMClient(configuration) { client in
                // gpt-4o-mini at the default prices: a worst case of 64 × 150 + 8 × 600 = 14,400 n$.
                let worstCase = Cost(nanodollars: 14_400)
                var succeeded = 0
                var refusal: SluiceError?
                for index in 0..<100 {
                    let request = ChatRequest(model: "gpt-4o-mini", messages: [.user("Ticket #\(index)")], maxOutputTokens: 8)
                    do {
                        _ = try await client.chat(request)
                        succeeded += 1
                    } catch let error as SluiceError {
                        refusal = error
                        break
                    }
                }
                let error = try #require(refusal)
                #expect(error.code == .budgetExceeded)
                #expect(error.message.contains("integration-usd"))
                #expect(!String(describing: error).contains("KEY-MARKER"))
                let status = try #require(client.budgetStatus.first)
                #expect(status.spentCost <= limit)
                #expect(limit.nanodollars - status.spentCost.nanodollars < worstCase.nanodollars)
                #expect(status.reservedCost == .zero)
                #expect(succeeded >= 6)
                // The budget counted what the provider reported, priced as a UsageTracker prices it.
                #expect(tracker.snapshot().cost == status.spentCost)
                #expect(events.events(ofKind: .budgetExceeded).first?.reason == "integration-usd")
            }
        }
    }
}
