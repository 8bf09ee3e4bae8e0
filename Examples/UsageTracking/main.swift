// Token and cost counting over a scope, with concurrent calls in a task group.
//
//     swift run ExampleUsageTracking
//
// Runs against the mock LLM server started in-process on 127.0.0.1, or against OpenAI or Anthropic
// when OPENAI_API_KEY or ANTHROPIC_API_KEY is set.
import Sluice
import SluiceMockServer

func run(_ base: LLMClient.Configuration, model: String) async throws {
    let questions = [
        "What is a sluice gate?", "What is a canal lock?", "What is a weir?",
        "What is a spillway?", "What is a culvert?", "What is a millrace?",
    ]
    // Prices per million tokens: the default table has OpenAI's and Anthropic's list prices. Add
    // your own models (a fine-tune, a negotiated rate); a model with no price is reported as
    // unpriced, never as $0.
    var prices = PriceTable.default
    prices["my-finetune"] = ModelPrice(input: 0.30, cachedInput: 0.15, output: 1.20)

    // A tracker on the client counts every call it makes, for process-wide totals.
    let processWide = UsageTracker(prices: prices)
    var configuration = base
    configuration.eventHandlers = [processWide]

    try await withLLMClient(configuration) { client in
        // Every call inside the scope is counted, in child tasks too; calls elsewhere are not.
        let (answers, usage) = try await withUsageTracking(prices: prices) {
            try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for (index, question) in questions.enumerated() {
                    group.addTask {
                        let request = ChatRequest(model: model, messages: [.user(question)], maxOutputTokens: 40)
                        let reply = try await client.chat(request)
                        return (index, reply.text)
                    }
                }
                var answers = [String](repeating: "", count: questions.count)
                for try await (index, text) in group { answers[index] = text }
                return answers
            }
        }
        for (question, answer) in zip(questions, answers) { print("\(question) → \(answer)") }

        let totals = usage.totals
        print("\n\(totals.requests) calls: \(totals.succeeded) succeeded, \(totals.failed) failed")
        print("tokens: \(totals.inputTokens) input + \(totals.outputTokens) output = \(totals.totalTokens)")
        print("cost: \(usage.cost?.description ?? "unknown, no price for \(usage.unpricedModels)")")
        for (model, perModel) in usage.byModel {
            print("  \(model): \(perModel.totalTokens) tokens, \(perModel.cost?.description ?? "unpriced")")
        }

        // A call outside the scope counts only in the client's tracker.
        _ = try await client.chat(ChatRequest(model: model, messages: [.user("One more?")], maxOutputTokens: 10))
        let allCalls = processWide.snapshot().totals.requests
        print("\nthe scope counted \(totals.requests) calls; the client's tracker \(allCalls)")
    }
}

// A real provider when its key is in the environment, else the embedded mock server.
if let configuration = try? LLMClient.Configuration.fromEnvironment() {
    let model = configuration.adapter.provider == .anthropic ? "claude-haiku-4-5" : "gpt-4o-mini"
    try await run(configuration, model: model)
} else {
    try await MockLLMServer.withRunning(MockServerConfiguration(replyTokens: 10)) { server in
        try await run(.openAI(apiKey: "sk-mock", baseURL: server.baseURL + "/v1"), model: "gpt-4o-mini")
    }
}
